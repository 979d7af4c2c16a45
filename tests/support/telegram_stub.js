// A stand-in for https://telegram.org/js/telegram-web-app.js, installed by the browser tests
// (tests/support/browser.rs) before any script of the page runs: `window.Telegram.WebApp` as a
// Mini App opened from Telegram with `initData` sees it. The page's own <script src> for the real
// script fails (nothing outside 127.0.0.1 resolves), so this one stays.
//
// What the page did through it is kept in `window.__tg` for the test to read: alerts, confirms,
// popups, opened links, whether it closed, and the errors seen (uncaught exceptions, unhandled
// rejections, console.error). `window.__tg.confirmAnswer = false` makes showConfirm answer no.
//
// browser.rs replaces the three placeholders below with JSON literals.
(function () {
  'use strict';
  if (window.Telegram && window.Telegram.WebApp && window.__tg) {
    return;
  }
  var INIT_DATA = __TG_INIT_DATA__;
  var THEME_PARAMS = __TG_THEME_PARAMS__;
  var COLOR_SCHEME = __TG_COLOR_SCHEME__;

  var record = {
    errors: [],
    alerts: [],
    confirms: [],
    popups: [],
    opened: [],
    haptics: [],
    closed: false,
    readyCalled: false,
    confirmAnswer: true,
    // The id of the button showPopup answers with; by default the popup's first button.
    popupAnswer: null,
  };
  window.__tg = record;

  // Errors: uncaught exceptions (not failed resource loads, which are not ErrorEvents on
  // window), unhandled rejections, and console.error.
  window.addEventListener('error', function (e) {
    if (!(e instanceof ErrorEvent)) {
      return;
    }
    var where = e.filename ? ' (' + e.filename + ':' + e.lineno + ':' + e.colno + ')' : '';
    record.errors.push('uncaught: ' + e.message + where);
  });
  window.addEventListener('unhandledrejection', function (e) {
    var reason = e.reason;
    var text = reason && reason.stack ? reason.stack : String(reason);
    record.errors.push('unhandled rejection: ' + text);
  });
  var consoleError = console.error;
  console.error = function () {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) {
      var a = arguments[i];
      parts.push(a instanceof Error ? (a.stack || String(a)) : String(a));
    }
    record.errors.push('console.error: ' + parts.join(' '));
    return consoleError.apply(console, arguments);
  };

  // initDataUnsafe: each field of the query string, decoded; values that look like JSON objects
  // or arrays (user, receiver, chat) parsed, the others (auth_date too) left as strings.
  function parseInitData(raw) {
    var out = {};
    new URLSearchParams(raw).forEach(function (value, key) {
      var first = value.charAt(0);
      var last = value.charAt(value.length - 1);
      if ((first === '{' && last === '}') || (first === '[' && last === ']')) {
        try {
          value = JSON.parse(value);
        } catch (err) {
          // Left as the string it is.
        }
      }
      out[key] = value;
    });
    return out;
  }

  var handlers = {};
  function emit(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    (handlers[name] || []).slice().forEach(function (cb) {
      cb.apply(WebApp, args);
    });
  }

  // --tg-theme-<name> on <html>, as soon as there is one.
  function whenRoot(cb) {
    if (document.documentElement) {
      cb(document.documentElement);
      return;
    }
    var observer = new MutationObserver(function () {
      if (document.documentElement) {
        observer.disconnect();
        cb(document.documentElement);
      }
    });
    observer.observe(document, { childList: true });
  }
  function applyTheme() {
    whenRoot(function (root) {
      Object.keys(WebApp.themeParams).forEach(function (name) {
        root.style.setProperty('--tg-theme-' + name.replace(/_/g, '-'), WebApp.themeParams[name]);
      });
      root.style.setProperty('--tg-color-scheme', WebApp.colorScheme);
    });
  }
  function applyViewport() {
    whenRoot(function (root) {
      var height = window.innerHeight - (WebApp.MainButton.isVisible ? BUTTON_HEIGHT : 0);
      WebApp.viewportHeight = height;
      WebApp.viewportStableHeight = height;
      root.style.setProperty('--tg-viewport-height', height + 'px');
      root.style.setProperty('--tg-viewport-stable-height', height + 'px');
    });
  }

  function whenBody(cb) {
    if (document.body) {
      cb(document.body);
    } else {
      document.addEventListener('DOMContentLoaded', function () {
        cb(document.body || document.documentElement);
      });
    }
  }

  function later(cb) {
    setTimeout(cb, 0);
  }

  // A bottom button: MainButton (drawn as a real <button id="tg-main-button"> at the bottom of
  // the viewport, with a spacer at the end of <body> so that it covers nothing), and
  // SecondaryButton (state only).
  var BUTTON_HEIGHT = 56;
  function bottomButton(drawn) {
    var clicks = [];
    var element = null;
    var spacer = null;
    var button = {
      type: drawn ? 'main' : 'secondary',
      text: drawn ? 'Continue' : 'Cancel',
      color: THEME_PARAMS.button_color || '#3390ec',
      textColor: THEME_PARAMS.button_text_color || '#ffffff',
      isVisible: false,
      isActive: true,
      isProgressVisible: false,
      hasShineEffect: false,
      position: 'left',
      setText: function (text) {
        return button.setParams({ text: text });
      },
      onClick: function (cb) {
        if (clicks.indexOf(cb) < 0) {
          clicks.push(cb);
        }
        return button;
      },
      offClick: function (cb) {
        clicks = clicks.filter(function (c) {
          return c !== cb;
        });
        return button;
      },
      show: function () {
        return button.setParams({ is_visible: true });
      },
      hide: function () {
        return button.setParams({ is_visible: false });
      },
      enable: function () {
        return button.setParams({ is_active: true });
      },
      disable: function () {
        return button.setParams({ is_active: false });
      },
      showProgress: function (leaveActive) {
        button.isProgressVisible = true;
        if (!leaveActive) {
          button.isActive = false;
        }
        render();
        return button;
      },
      hideProgress: function () {
        button.isProgressVisible = false;
        button.isActive = true;
        render();
        return button;
      },
      setParams: function (p) {
        p = p || {};
        if ('text' in p) {
          var text = String(p.text).trim();
          if (!text.length || text.length > 64) {
            throw new Error('WebAppMainButtonParamInvalid');
          }
          button.text = text;
        }
        if ('color' in p) {
          button.color = p.color;
        }
        if ('text_color' in p) {
          button.textColor = p.text_color;
        }
        if ('is_visible' in p) {
          button.isVisible = !!p.is_visible;
        }
        if ('is_active' in p) {
          button.isActive = !!p.is_active;
        }
        if ('has_shine_effect' in p) {
          button.hasShineEffect = !!p.has_shine_effect;
        }
        render();
        return button;
      },
    };
    function press() {
      if (!button.isVisible || !button.isActive || button.isProgressVisible) {
        return;
      }
      if (drawn) {
        emit('mainButtonClicked');
      } else {
        emit('secondaryButtonClicked');
      }
      clicks.slice().forEach(function (cb) {
        cb();
      });
    }
    button.__press = press;
    function render() {
      if (!drawn) {
        return;
      }
      whenBody(function (body) {
        if (!element) {
          element = document.createElement('button');
          element.id = 'tg-main-button';
          element.type = 'button';
          element.style.cssText =
            'position:fixed;left:0;right:0;bottom:0;z-index:2147483647;margin:0;border:0;' +
            'border-radius:0;height:' + BUTTON_HEIGHT + 'px;width:100%;font:600 15px system-ui,' +
            'sans-serif;cursor:pointer;';
          element.addEventListener('click', press);
          spacer = document.createElement('div');
          spacer.id = 'tg-main-button-spacer';
          spacer.style.cssText = 'height:' + BUTTON_HEIGHT + 'px;';
        }
        if (!element.isConnected) {
          body.appendChild(spacer);
          body.appendChild(element);
        }
        element.textContent = button.isProgressVisible ? '…' : button.text;
        element.style.background = button.color;
        element.style.color = button.textColor;
        element.style.opacity = button.isActive ? '1' : '0.6';
        element.style.display = button.isVisible ? 'block' : 'none';
        spacer.style.display = button.isVisible ? 'block' : 'none';
        element.disabled = !button.isActive || button.isProgressVisible;
        element.setAttribute('data-progress', button.isProgressVisible ? 'true' : 'false');
        applyViewport();
      });
    }
    return button;
  }

  function headerButton(event) {
    var clicks = [];
    var button = {
      isVisible: false,
      onClick: function (cb) {
        if (clicks.indexOf(cb) < 0) {
          clicks.push(cb);
        }
        return button;
      },
      offClick: function (cb) {
        clicks = clicks.filter(function (c) {
          return c !== cb;
        });
        return button;
      },
      show: function () {
        button.isVisible = true;
        return button;
      },
      hide: function () {
        button.isVisible = false;
        return button;
      },
      __press: function () {
        emit(event);
        clicks.slice().forEach(function (cb) {
          cb();
        });
      },
    };
    return button;
  }

  function versionAtLeast(v) {
    var have = WebApp.version.split('.').map(Number);
    var want = String(v).split('.').map(Number);
    for (var i = 0; i < Math.max(have.length, want.length); i++) {
      var a = have[i] || 0;
      var b = want[i] || 0;
      if (a !== b) {
        return a > b;
      }
    }
    return true;
  }

  var WebApp = {
    initData: INIT_DATA,
    initDataUnsafe: parseInitData(INIT_DATA),
    version: '8.0',
    platform: 'tdesktop',
    colorScheme: COLOR_SCHEME,
    themeParams: Object.assign({}, THEME_PARAMS),
    isExpanded: false,
    isActive: true,
    isFullscreen: false,
    isOrientationLocked: false,
    isVerticalSwipesEnabled: true,
    isClosingConfirmationEnabled: false,
    viewportHeight: window.innerHeight,
    viewportStableHeight: window.innerHeight,
    headerColor: THEME_PARAMS.header_bg_color || THEME_PARAMS.bg_color,
    backgroundColor: THEME_PARAMS.bg_color,
    bottomBarColor: THEME_PARAMS.bottom_bar_bg_color || THEME_PARAMS.secondary_bg_color,
    safeAreaInset: { top: 0, bottom: 0, left: 0, right: 0 },
    contentSafeAreaInset: { top: 0, bottom: 0, left: 0, right: 0 },
    isVersionAtLeast: versionAtLeast,
    ready: function () {
      record.readyCalled = true;
    },
    expand: function () {
      WebApp.isExpanded = true;
      later(function () {
        emit('viewportChanged', { isStateStable: true });
      });
    },
    close: function () {
      record.closed = true;
    },
    sendData: function (data) {
      record.sentData = String(data);
    },
    setHeaderColor: function (color) {
      WebApp.headerColor = color;
    },
    setBackgroundColor: function (color) {
      WebApp.backgroundColor = color;
    },
    setBottomBarColor: function (color) {
      WebApp.bottomBarColor = color;
    },
    enableClosingConfirmation: function () {
      WebApp.isClosingConfirmationEnabled = true;
    },
    disableClosingConfirmation: function () {
      WebApp.isClosingConfirmationEnabled = false;
    },
    enableVerticalSwipes: function () {
      WebApp.isVerticalSwipesEnabled = true;
    },
    disableVerticalSwipes: function () {
      WebApp.isVerticalSwipesEnabled = false;
    },
    onEvent: function (name, cb) {
      (handlers[name] = handlers[name] || []).push(cb);
    },
    offEvent: function (name, cb) {
      handlers[name] = (handlers[name] || []).filter(function (c) {
        return c !== cb;
      });
    },
    openLink: function (url, options) {
      record.opened.push(String(url));
    },
    openTelegramLink: function (url) {
      record.opened.push(String(url));
    },
    showAlert: function (message, cb) {
      record.alerts.push(String(message));
      if (cb) {
        later(function () {
          cb();
        });
      }
    },
    showConfirm: function (message, cb) {
      record.confirms.push(String(message));
      var answer = !!record.confirmAnswer;
      if (cb) {
        later(function () {
          cb(answer);
        });
      }
    },
    showPopup: function (params, cb) {
      params = params || {};
      record.popups.push(params);
      var buttons = params.buttons && params.buttons.length ? params.buttons : [{ id: '' }];
      var answer = record.popupAnswer !== null ? record.popupAnswer : buttons[0].id || '';
      if (cb) {
        later(function () {
          cb(answer);
        });
      }
    },
    readTextFromClipboard: function (cb) {
      if (cb) {
        later(function () {
          cb(null);
        });
      }
    },
    HapticFeedback: {
      impactOccurred: function (style) {
        record.haptics.push('impact:' + style);
        return WebApp.HapticFeedback;
      },
      notificationOccurred: function (type) {
        record.haptics.push('notification:' + type);
        return WebApp.HapticFeedback;
      },
      selectionChanged: function () {
        record.haptics.push('selection');
        return WebApp.HapticFeedback;
      },
    },
  };
  WebApp.MainButton = bottomButton(true);
  WebApp.SecondaryButton = bottomButton(false);
  WebApp.BackButton = headerButton('backButtonClicked');
  WebApp.SettingsButton = headerButton('settingsButtonClicked');

  // For the test: Telegram switching the theme (as when the user changes it) and sending an event.
  record.setTheme = function (params, scheme) {
    WebApp.themeParams = Object.assign({}, params);
    WebApp.colorScheme = scheme;
    applyTheme();
    emit('themeChanged');
  };
  record.emit = emit;

  window.Telegram = window.Telegram || {};
  window.Telegram.WebApp = WebApp;
  applyTheme();
  applyViewport();
  window.addEventListener('resize', applyViewport);
})();
