/**
 * In-process `sethostname(2)` and `setdomainname(2)`.
 * @module
 */
import { binding } from './binding';
import { callNative } from './errors';
import { refuseInHostNamespace } from './host-namespace';
import { validateUtsName } from './validate';

/** Options of {@link sethostname} and {@link setdomainname}. */
export interface HostNamespaceOptions {
  /**
   * Act even when the calling thread is still in the host's namespace (the
   * one PID 1 is in), or when nsjs cannot tell. Without it nsjs refuses in
   * both cases, so that a namespace library never renames the host, or
   * mounts over its /proc, by accident (docs/in-process.md).
   * @default false
   */
  allowHostNamespace?: boolean;
}

function refuseHostUts(options: unknown, what: string): void {
  refuseInHostNamespace('uts', options, `set the ${what}`, {
    syscall: what === 'hostname' ? 'sethostname' : 'setdomainname',
  });
}

/**
 * Sets the hostname of the calling thread's UTS namespace. At most 64 bytes
 * of UTF-8. Refused while the thread is in the host's UTS namespace unless
 * `allowHostNamespace` is set.
 */
export function sethostname(name: string, options?: HostNamespaceOptions): void {
  const bytes = validateUtsName(name, 'name');
  refuseHostUts(options, 'hostname');
  const native = binding();
  callNative(() => native.sethostname(bytes));
}

/** Sets the NIS domain name of the calling thread's UTS namespace; as {@link sethostname}. */
export function setdomainname(name: string, options?: HostNamespaceOptions): void {
  const bytes = validateUtsName(name, 'name');
  refuseHostUts(options, 'domain name');
  const native = binding();
  callNative(() => native.setdomainname(bytes));
}
