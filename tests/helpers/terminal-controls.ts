/** The characters a terminal acts on besides newline: C0 controls (tab included), DEL, C1, direction controls. */
export function terminalControls(text: string): string[] {
  return [...text].filter((c) => {
    const n = c.codePointAt(0)!;
    return (
      (n < 0x20 && n !== 0x0a) ||
      (n >= 0x7f && n <= 0x9f) ||
      (n >= 0x202a && n <= 0x202e) ||
      (n >= 0x2066 && n <= 0x2069)
    );
  });
}
