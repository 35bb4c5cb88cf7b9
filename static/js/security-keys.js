/*
 * Security keys (FIDO2/WebAuthn) for staff sign-in: register a key, or use one as the second factor.
 *
 * Loaded as a static file from our own origin (the portal's CSP allows no inline script). Each
 * <form data-security-key="register|authenticate"> carries the URLs of the JSON endpoints
 * (django-otp-webauthn, under /mfa/webauthn/), the CSRF token and where to go on success.
 */
(function () {
  "use strict";

  function toBuffer(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  async function postJson(url, csrfToken, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try {
      data = await response.json();
    } catch (ignored) {
      data = {};
    }
    if (!response.ok) {
      throw new Error(data.detail || "The server refused the request (HTTP " + response.status + ").");
    }
    return data;
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: toBuffer(c.id) });
    });
  }

  async function register(form) {
    const options = await postJson(form.dataset.begin, form.csrfToken);
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    options.excludeCredentials = descriptors(options.excludeCredentials);
    const credential = await navigator.credentials.create({ publicKey: options });
    const response = credential.response;
    const payload = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        attestationObject: toBase64url(response.attestationObject),
        transports: typeof response.getTransports === "function" ? response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
    if (credential.authenticatorAttachment) payload.authenticatorAttachment = credential.authenticatorAttachment;
    return postJson(form.dataset.complete, form.csrfToken, payload);
  }

  async function authenticate(form) {
    const options = await postJson(form.dataset.begin, form.csrfToken);
    options.challenge = toBuffer(options.challenge);
    options.allowCredentials = descriptors(options.allowCredentials);
    const credential = await navigator.credentials.get({ publicKey: options });
    const response = credential.response;
    const payload = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toBase64url(response.clientDataJSON),
        authenticatorData: toBase64url(response.authenticatorData),
        signature: toBase64url(response.signature),
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
    if (response.userHandle) payload.response.userHandle = toBase64url(response.userHandle);
    if (credential.authenticatorAttachment) payload.authenticatorAttachment = credential.authenticatorAttachment;
    return postJson(form.dataset.complete, form.csrfToken, payload);
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") return "The security key did not respond, or the request was cancelled.";
    if (error && error.name === "InvalidStateError") return "This security key is already registered.";
    if (error && error.name === "SecurityError") return "Security keys work only at the address the bank configured.";
    return (error && error.message) || "Something went wrong; try again.";
  }

  function setUp(form) {
    const button = form.querySelector("button");
    const status = form.querySelector("[role=status]");
    form.csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    if (!window.PublicKeyCredential || !navigator.credentials) {
      button.disabled = true;
      status.textContent = "This browser does not support security keys.";
      return;
    }
    button.disabled = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    button.addEventListener("click", async function () {
      button.disabled = true;
      status.textContent = "Touch your security key...";
      try {
        await (form.dataset.securityKey === "register" ? register(form) : authenticate(form));
        status.textContent = "Done.";
        window.location.assign(form.dataset.next || "/");
      } catch (error) {
        status.textContent = explain(error);
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll("form[data-security-key]").forEach(setUp);
})();
