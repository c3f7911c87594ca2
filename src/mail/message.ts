/** One mail, ready to send: every mail has a text and an HTML part. */
export type Mail = {
  to: string
  subject: string
  text: string
  html: string
}

/** A paragraph of a mail: plain text, or text followed by one absolute link. */
export type MailPart = string | { text: string; href: string }

const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

/**
 * Builds both parts of a mail from the same paragraphs, so they cannot say
 * different things. The HTML part has no remote images, styles or scripts.
 */
export function composeMail(to: string, subject: string, parts: MailPart[]): Mail {
  const text = parts.map((part) => (typeof part === 'string' ? part : `${part.text}\n${part.href}`)).join('\n\n')
  const body = parts
    .map((part) =>
      typeof part === 'string'
        ? `<p>${escapeHtml(part)}</p>`
        : `<p>${escapeHtml(part.text)}<br><a href="${escapeHtml(part.href)}">${escapeHtml(part.href)}</a></p>`,
    )
    .join('\n')
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head><body>\n${body}\n</body></html>\n`
  return { to, subject, text: `${text}\n`, html }
}
