import { OpenAccessClient, type OpenAccessClientOptions, type RequestOptions } from '../index';
import { callKind, type CallMeter } from '@edge/collector-kit/survey';

/**
 * The product's OpenAccess client with every REST call counted and timed by kind. The login and
 * logout, which the client sends on its own, are counted by the survey.
 */
export class MeteredOpenAccessClient extends OpenAccessClient {
  constructor(
    opts: OpenAccessClientOptions,
    private readonly meter: CallMeter,
  ) {
    super(opts);
  }

  override async request<T>(r: RequestOptions<T>): Promise<T> {
    const method = r.path === '/execute_method' && r.query?.method_name ? `POST /execute_method ${String(r.query.method_name)}` : callKind(r.method, r.path);
    return this.meter.time(method, () => super.request(r));
  }
}
