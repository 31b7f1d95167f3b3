import type { ServerResponse } from 'node:http';
import { oaError, param, type Req } from './http-util';
import type { SimUser } from './state';

/**
 * A restricted account: listing a type outside the user's permission is refused with 403 (the
 * answer real servers give for types outside an account's permission or segment). The error
 * code is not public [I]; the status is what clients act on.
 */
export function refusedType(user: SimUser, req: Req, res: ServerResponse): boolean {
  const type = param(req, 'type_name');
  if (!type || !user.denied_types?.some((t) => t.toLowerCase() === type.toLowerCase())) return false;
  oaError(res, 403, 'openaccess.general.accessdenied', `The user ${user.user_name} has no permission to view ${type}.`);
  return true;
}
