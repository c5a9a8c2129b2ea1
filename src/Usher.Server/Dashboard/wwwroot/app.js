// The dashboard's shell: hash routes, one polling loop for the page shown, the error banner, and the
// actions' common handling (the server's message is shown when it refuses).
import { ApiError, promptForToken } from './api.js';
import { h, replace } from './dom.js';
import { endpointsPage } from './endpoints.js';
import { endpointPage } from './endpoint.js';
import { modelsPage } from './models.js';

const view = document.getElementById('view');
const banner = document.getElementById('banner');
const bannerText = document.getElementById('banner-text');
const updated = document.getElementById('updated');

let page = null;
let generation = 0;

function showError(message) {
  bannerText.textContent = message;
  banner.hidden = false;
}

function clearError() {
  banner.hidden = true;
  bannerText.textContent = '';
}

function describe(error) {
  if (error instanceof ApiError) {
    const status = error.status ? `HTTP ${error.status}: ` : '';
    const problems = error.problems.length ? ` (${error.problems.join('; ')})` : '';
    return `${status}${error.message}${problems}`;
  }

  return String(error?.message ?? error);
}

const ctx = {
  // Runs an action, shows the server's refusal in the banner, and refreshes the page after it.
  async act(what, call) {
    try {
      await call();
      clearError();
    } catch (e) {
      showError(`Could not ${what}: ${describe(e)}`);
    }

    await refreshNow();
  },
};

async function refreshNow() {
  const current = page;
  if (!current) {
    return;
  }

  try {
    await current.refresh();
    if (current === page) {
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      if (bannerText.dataset.source === 'poll') {
        clearError();
        delete bannerText.dataset.source;
      }
    }
  } catch (e) {
    if (current === page) {
      showError(describe(e));
      bannerText.dataset.source = 'poll';
    }
  }
}

function route() {
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  page?.destroy?.();
  page = null;
  clearError();
  const mine = ++generation;
  document.querySelectorAll('[data-nav]').forEach(a => a.classList.toggle('active', hash === '' ? a.dataset.nav === 'endpoints' : hash.startsWith(a.dataset.nav)));
  if (hash.startsWith('endpoint/')) {
    page = endpointPage(view, ctx, hash.slice('endpoint/'.length));
  } else if (hash === 'models') {
    page = modelsPage(view, ctx);
  } else if (hash === '') {
    page = endpointsPage(view, ctx);
  } else {
    replace(view, h('p', { class: 'error' }, `No page '${hash}'.`), h('a', { href: '#/' }, 'Endpoints'));
    return;
  }

  const loop = async () => {
    if (mine !== generation) {
      return;
    }

    await refreshNow();
    if (mine === generation) {
      setTimeout(loop, page?.interval ?? 1000);
    }
  };
  loop();
}

document.getElementById('banner-close').addEventListener('click', clearError);
document.getElementById('token-button').addEventListener('click', async () => {
  await promptForToken();
  await refreshNow();
});
window.addEventListener('hashchange', route);
route();
