import { expect } from 'bun:test'
import type { Browser, Page, Route } from 'playwright-core'
import { openTab, type Tab, type TabOptions } from './tab.ts'

/** What nginx answers when the app behind it is down or too slow: no X-Request-Id, a page of its own. */
export function nginxErrorPage(route: Route, status: 502 | 504, reason: string) {
  return route.fulfill({
    status,
    contentType: 'text/html',
    headers: { server: 'nginx' },
    body: `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
  })
}

/** Answers the next POST whose path is (or matches) `path` in place of the app with `answer`; every other request passes. */
export async function interceptNextPost(page: Page, path: string | RegExp, answer: (route: Route) => Promise<void>) {
  await page.route(
    (url) => (typeof path === 'string' ? url.pathname === path : path.test(url.pathname)),
    (route) => (route.request().method() === 'POST' ? answer(route) : route.continue()),
    { times: 1 },
  )
}

/** Like inTab, but accepts console lines matching `expected` (the failure under test logs its own). */
export async function inTabExpecting(
  browser: Browser,
  baseUrl: string,
  expected: RegExp,
  scenario: (tab: Tab) => Promise<void>,
  options: TabOptions = {},
) {
  const tab = await openTab(browser, baseUrl, options)
  try {
    await scenario(tab)
  } finally {
    await tab.context.close()
  }
  expect(tab.problems().filter((line) => !expected.test(line))).toEqual([])
}

/** Whether the element comes within the visible part of the page in 2 s (it is scrolled there once the request has ended). */
export const comesIntoView = (page: Page, selector: string) =>
  page
    .waitForFunction(
      (wanted) => {
        const box = document.querySelector(wanted)?.getBoundingClientRect()
        return box !== undefined && box.bottom > 0 && box.top < window.innerHeight && box.height > 0
      },
      selector,
      { timeout: 2000 },
    )
    .then(
      () => true,
      () => false,
    )
