/** The part of a web stream reader used here (the Functions library types its bodies with node:stream/web's). */
export interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(): Promise<void>;
}

/**
 * The app's one body reader: reads `reader` to its end, handing each chunk to `keep`, unless more than `limit`
 * bytes arrive; then it cancels the reader at once and answers false (nothing past the limit is buffered).
 */
export async function readAtMost(
  reader: ChunkReader,
  limit: number,
  keep: (chunk: Uint8Array) => void = () => undefined,
): Promise<boolean> {
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return true;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return false;
    }
    keep(value);
  }
}
