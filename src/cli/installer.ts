import type { Logger } from '../kernel/logger.ts';
import { installerToken, needsInstaller } from '../domain/auth/installer.ts';
import type { Baton } from './wire.ts';

/**
 * The first-run installer link `baton serve` prints while no superuser exists (PocketBase's
 * DefaultInstallerFunc): `<base>/_/#/pbinstall/<token>`, where the dashboard reads the token of
 * the installer superuser (domain/auth/installer.ts, 30 minutes) and creates the first real one
 * with it. Undefined when a superuser exists. A server listening on every address gets a
 * loopback link, which a browser on the same machine can open.
 */
export async function installerLink(baton: Baton, base: string, logger: Logger): Promise<string | undefined> {
  if (!(await needsInstaller(baton.services.db))) return undefined;
  const token = await installerToken(baton.services, logger);
  const reachable = base.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  return `${reachable.replace(/\/+$/, '')}/_/#/pbinstall/${token}`;
}
