/**
 * Reloads the page once the server answers again — never onto the browser's error page, which would never recover. For
 * code that could not be loaded because the server was away at that moment (a wall screen must come back by itself).
 */
export function reloadWhenServerAnswers(delayMs = 2000): void {
  setTimeout(() => {
    fetch(location.pathname, { cache: 'no-store' }).then((res) => {
      if (res.ok) location.reload(); else reloadWhenServerAnswers(5000);
    }, () => reloadWhenServerAnswers(5000));
  }, delayMs);
}
