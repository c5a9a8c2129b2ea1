// Calls to the admin API with the admin token, if the server needs one. The token lives in
// sessionStorage: this tab only, gone when it closes. A 401 opens the token dialog with the
// server's own message, then the call is tried again with the token given.

const tokenKey = 'usher.adminToken';

export class ApiError extends Error {
  constructor(status, message, problems) {
    super(message);
    this.status = status;
    this.problems = problems ?? [];
  }
}

let pendingToken = null;
let declined = false;

export function adminToken() {
  return sessionStorage.getItem(tokenKey);
}

function setToken(value) {
  if (value) {
    sessionStorage.setItem(tokenKey, value);
  } else {
    sessionStorage.removeItem(tokenKey);
  }
}

// Opens the dialog; resolves with the token entered, or null when cancelled. Concurrent
// callers share one dialog.
export function askToken(message) {
  if (pendingToken) {
    return pendingToken;
  }

  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  document.getElementById('token-error').textContent = message ?? '';
  input.value = '';
  pendingToken = new Promise(resolve => {
    const form = dialog.querySelector('form');
    const cancel = document.getElementById('token-cancel');
    const finish = value => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      dialog.close();
      pendingToken = null;
      resolve(value);
    };
    const onSubmit = event => {
      event.preventDefault();
      finish(input.value.trim() || null);
    };
    const onCancel = () => finish(null);
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    dialog.showModal();
    input.focus();
  });
  return pendingToken;
}

// Asks for a token on demand (the header's button), even after a cancel.
export async function promptForToken() {
  const value = await askToken('');
  if (value) {
    setToken(value);
    declined = false;
  }
}

async function readBody(response) {
  const text = await response.text();
  if (!text) {
    return null;
  }

  try {
    return JSON.parse(text);
  } catch {
    return { error: text };
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  for (;;) {
    const headers = { Accept: 'application/json' };
    const token = adminToken();
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }

    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }

    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, `cannot reach the Usher server (${e.message})`);
    }

    const json = await readBody(response);
    if (response.status === 401 && !declined) {
      const entered = await askToken(json?.error ?? 'the admin API needs a token');
      if (entered) {
        setToken(entered);
        continue;
      }

      declined = true;
    }

    if (!response.ok) {
      throw new ApiError(response.status, json?.error ?? `HTTP ${response.status}`, json?.problems);
    }

    return json;
  }
}
