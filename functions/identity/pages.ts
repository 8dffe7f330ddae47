const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Pages carry no script and load nothing: the CSP says so. The login form posts here and is
 * answered with a redirect to the client, and browsers apply form-action to that redirect too,
 * so the client's origin is allowed alongside 'self'.
 */
export const contentSecurityPolicy = (formTarget?: string) =>
  `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${formTarget ? ` ${new URL(formTarget).origin}` : ''}; frame-ancestors 'none'`;

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': contentSecurityPolicy(),
  'cache-control': 'no-store',
};

const page = (title: string, body: string) => `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;background:#f4f6f9;margin:0}main{max-width:380px;margin:8vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin-top:0}label{display:block;margin:.8rem 0 .3rem}input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.65rem;font-size:1rem;background:#c62828;color:#fff;border:0;border-radius:4px}.error{color:#c62828}.client{color:#555;font-size:.9rem}</style></head>
<body><main>${body}</main></body></html>
`;

/** The login form: it posts back the original authorization request and an anti-forgery token. */
export function loginPage(params: Record<string, string>, clientId: string, csrf: string, error?: string): string {
  const hidden = Object.entries(params)
    .filter(([name]) => !['username', 'password', 'csrf'].includes(name))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return page(
    '统一身份认证 · Sign in',
    `<h1>统一身份认证 · Sign in</h1><p class="client">${escapeHtml(clientId)} asks you to sign in. One sign-in works for every provincial service.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/oauth2/authorize">${hidden}<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label for="username">身份证号或统一社会信用代码 · ID number or credit code</label><input id="username" name="username" type="text" autocomplete="username" required maxlength="18">
<label for="password">密码 · Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">登录 · Sign in</button></form>`,
  );
}

export const errorPage = (message: string) =>
  page('Sign-in error', `<h1>This sign-in request cannot be completed</h1><p class="error">${escapeHtml(message)}</p>`);
export const signedOutPage = () =>
  page('Signed out', '<h1>You are signed out</h1><p>Your session has ended on every provincial service.</p>');

/**
 * Asked before a logout that no valid id_token_hint vouches for: the form posts back the logout request
 * with an anti-forgery token, as the login form does, so a cross-site link alone ends no session.
 */
export function logoutConfirmationPage(params: Record<string, string | undefined>, csrf: string): string {
  const hidden = ['client_id', 'post_logout_redirect_uri', 'state']
    .filter((name) => params[name] !== undefined)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params[name]!)}">`)
    .join('');
  return page(
    '统一身份认证 · Sign out',
    `<h1>退出登录 · Sign out?</h1><p>This ends your session on every provincial service.</p>
<form method="post" action="/oauth2/logout">${hidden}<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<button type="submit">退出 · Sign out</button></form>`,
  );
}
