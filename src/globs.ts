/** Glob match for allow-lists: "*" matches any run of characters. (Its own module: the log reader threads import it without zod.) */
export function matchesAny(value: string | undefined, globs: readonly string[]): boolean {
  if (!value) return false;
  return globs.some((glob) => {
    const pattern = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    return new RegExp(`^${pattern}$`, 'i').test(value);
  });
}
