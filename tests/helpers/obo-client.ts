import type { Emulator } from '../../emulator/index.js';
import { OboClient } from '../../src/obo/obo-client.js';
import type { OboClientOptions } from '../../src/obo/obo-client.js';
import { SecretCredentialSource } from '../../src/obo/secret-source.js';
import type { Logger } from '../../src/util/log.js';

/** An OBO client for the emulator's app with its client secret (for OBO and ARM tests); `options` override. */
export function emulatorOboClient(
  emulator: Emulator,
  logger: Logger,
  options: Partial<OboClientOptions> = {},
): OboClient {
  return new OboClient({
    clientId: emulator.clientId,
    tenantId: emulator.tenantId,
    authorityHost: emulator.entraUrl,
    armEndpoint: emulator.armUrl,
    timeoutMs: 5000,
    source: new SecretCredentialSource(emulator.clientSecret),
    logger,
    ...options,
  });
}
