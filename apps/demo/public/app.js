// The page's logic: plain DOM, no framework, no external assets. The access token lives only in
// this module's memory.
const $ = (id) => document.getElementById(id)
let token = ''
/** Each orders API by name → its URL (from /demo/info). */
let apis = {}

async function post(path, body = {}) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return response.json()
}

function decodePart(part) {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
  return JSON.parse(new TextDecoder().decode(bytes))
}

function show(id, value) {
  $(id).textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2)
}

/** Shows a token's header and claims and a line saying whose it is; keeps it in memory. */
function keepToken(accessToken) {
  token = accessToken
  const [header, payload] = token.split('.')
  const claims = decodePart(payload)
  show('header', decodePart(header))
  show('claims', claims)
  return claims
}

let refreshTimer
function scheduleRefresh(expiresIn) {
  clearTimeout(refreshTimer)
  refreshTimer = setTimeout(userRefresh, Math.max(1, expiresIn - 5) * 1000)
}

async function userSignIn() {
  $('session').textContent = ''
  const response = await fetch('/demo/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: $('username').value, password: $('password').value }),
  })
  const body = await response.json()
  $('session').dataset.status = String(response.status)
  if (response.status !== 200) {
    $('session').textContent = `Sign-in answered ${response.status}: ${body.error}`
    return
  }
  const claims = keepToken(body.access_token)
  $('session').textContent =
    `Signed in as ${claims.sub} (iss ${claims.iss}); token expires in ${body.expires_in} s.`
  scheduleRefresh(body.expires_in)
}

async function userRefresh() {
  // The cookie goes along on its own (same origin); the custom header makes this a non-simple
  // request, which a foreign page cannot send without CORS (the session routes' CSRF check).
  const response = await fetch('/auth/session/refresh', {
    method: 'POST',
    headers: { 'x-requested-with': 'fetch' },
  })
  const body = await response.json()
  $('session').dataset.status = String(response.status)
  if (response.status !== 200) {
    clearTimeout(refreshTimer)
    $('session').textContent = `Refresh answered ${response.status} (${body.code}): sign in again.`
    return
  }
  const claims = keepToken(body.access_token)
  $('session').dataset.refreshed = String(Number($('session').dataset.refreshed ?? 0) + 1)
  $('session').textContent =
    `Session refreshed at ${new Date().toLocaleTimeString()} for ${claims.sub}; new token expires in ${body.expires_in} s.`
  scheduleRefresh(body.expires_in)
}

async function userLogout() {
  clearTimeout(refreshTimer)
  const response = await fetch('/auth/session/logout', {
    method: 'POST',
    headers: { 'x-requested-with': 'fetch' },
  })
  token = ''
  $('session').dataset.status = String(response.status)
  $('session').textContent =
    `Signed out (${response.status}); the refresh cookie is deleted and its session revoked.`
}

async function signIn() {
  // Cleared before the request, so what is shown is always the answer to the last click.
  $('token-result').replaceChildren()
  show('header', '')
  show('claims', '')
  const answer = await post('/demo/token', { key: $('key').value.trim() })
  if (answer.status === 200) {
    token = answer.body.access_token
    const [header, payload] = token.split('.')
    const claims = decodePart(payload)
    show('header', decodePart(header))
    show('claims', claims)
    $('token-result').innerHTML = ''
    const p = document.createElement('p')
    p.className = 'ok'
    p.dataset.testid = 'signed-in'
    p.textContent = `Signed in as ${claims.sub}; the token expires at ${new Date(claims.exp * 1000).toLocaleTimeString()}.`
    $('token-result').append(p)
  } else {
    token = ''
    $('token-result').innerHTML = ''
    const p = document.createElement('p')
    p.className = 'bad'
    p.dataset.testid = 'sign-in-failed'
    p.textContent = `The token endpoint answered ${answer.status}: ${answer.body?.error ?? ''}`
    $('token-result').append(p)
  }
}

async function call(api, mode) {
  const answer = await post('/demo/call', {
    api,
    method: mode === 'missing-permission' ? 'POST' : 'GET',
    token: mode === 'without' ? '' : token,
  })
  const request = `${mode === 'missing-permission' ? 'POST' : 'GET'} ${apis[api]} (${api}) ${mode === 'without' ? 'without a token' : 'with the token'}`
  show(
    'answer',
    `${request}\nstatus: ${answer.status}\nWWW-Authenticate: ${answer.wwwAuthenticate ?? '(none)'}\nbody: ${JSON.stringify(answer.body, null, 2)}`,
  )
  $('answer').dataset.status = String(answer.status)
}

async function rotate() {
  const answer = await post('/demo/rotate')
  const jwks = await (await fetch('/demo/jwks')).json()
  show(
    'keys',
    `rotate: ${answer.status}, new kid ${answer.body?.kid}\npublished kids: ${jwks.kids.join(', ')}`,
  )
  $('keys').dataset.status = String(answer.status)
}

async function revoke() {
  const answer = await post('/demo/revoke')
  show('keys', `revoke the demo key: ${answer.status}${answer.status === 204 ? ' (revoked)' : ''}`)
  $('keys').dataset.status = String(answer.status)
}

async function poll() {
  try {
    const { activity } = await (await fetch('/demo/activity')).json()
    const list = $('activity')
    list.replaceChildren(
      ...activity
        .slice()
        .reverse()
        .map((entry) => {
          const li = document.createElement('li')
          const time = entry.at.slice(11, 19)
          li.textContent =
            entry.source === 'client'
              ? `${time} client: ${entry.event}${entry.code ? ` (${entry.code})` : ''}`
              : `${time} GET ${entry.api} → ${entry.status ?? entry.error}`
          li.className =
            entry.status === 200 || entry.event === 'refreshed' ? 'ok' : entry.source === 'call' ? 'bad' : ''
          return li
        }),
    )
  } catch {}
  setTimeout(poll, 1000)
}

async function start() {
  const info = await (await fetch('/demo/info')).json()
  $('key').value = info.key
  apis = info.apis
  $('issuer').textContent = `Issuer: ${info.issuer}`
  const modes = [
    ['with', 'GET with token'],
    ['without', 'GET without token'],
    ['missing-permission', 'POST (needs orders:write)'],
  ]
  for (const api of Object.keys(info.apis)) {
    const row = document.createElement('tr')
    const name = document.createElement('th')
    name.scope = 'row'
    name.textContent = `${api} (${info.apis[api]})`
    row.append(name)
    for (const [mode, label] of modes) {
      const cell = document.createElement('td')
      const button = document.createElement('button')
      button.type = 'button'
      button.id = `call-${api}-${mode}`
      button.textContent = label
      button.addEventListener('click', () => call(api, mode))
      cell.append(button)
      row.append(cell)
    }
    $('api-rows').append(row)
  }
  $('sign-in').addEventListener('click', signIn)
  $('user-sign-in').addEventListener('click', userSignIn)
  $('user-refresh').addEventListener('click', userRefresh)
  $('user-logout').addEventListener('click', userLogout)
  $('rotate').addEventListener('click', rotate)
  $('revoke').addEventListener('click', revoke)
  poll()
}

start()
