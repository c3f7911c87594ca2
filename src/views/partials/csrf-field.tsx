export function CsrfField({ token }: { token: string | null }) {
  return <input type="hidden" name="_csrf" value={token ?? ''} />
}
