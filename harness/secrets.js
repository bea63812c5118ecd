// Encrypts secret values the way Pulumi's default `passphrase` secrets provider does for a
// checkpoint (the local file backend's `pulumi stack export`): the key is PBKDF2-HMAC-SHA256 of
// the passphrase with an 8-byte salt and 1,000,000 iterations; each value is AES-256-GCM with a
// fresh 12-byte nonce, written `v1:<base64 nonce>:<base64 ciphertext and 16-byte tag>`. What is
// encrypted is the value's JSON text (a string secret `abc` is encrypted as `"abc"`), and the
// secrets provider's state records the salt with the word `pulumi` encrypted under the key, as the
// `encryptionsalt` of a stack's config file does, so that a wrong passphrase can be told apart.
// Plain CommonJS: used by the lifecycle engine's checkpoint and by `npm run demo`.
// @ts-check
"use strict";
const crypto = require("crypto");

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const ITERATIONS = 1000000;

/** A secret property value as a checkpoint stores it. @typedef {{ [SECRET_SIG]: string, ciphertext: string }} SealedValue */

class PassphraseCrypter {
    /**
     * @param {string} passphrase what PULUMI_CONFIG_PASSPHRASE would hold
     * @param {Uint8Array} [salt] 8 bytes (random by default)
     */
    constructor(passphrase, salt = crypto.randomBytes(8)) {
        this.salt = Buffer.from(salt);
        this.key = crypto.pbkdf2Sync(passphrase, this.salt, ITERATIONS, 32, "sha256");
    }

    /** @param {string} plaintext @returns {string} `v1:<nonce>:<ciphertext and tag>` */
    encrypt(plaintext) {
        const nonce = crypto.randomBytes(12);
        const cipher = crypto.createCipheriv("aes-256-gcm", this.key, nonce);
        const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
        return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
    }

    /** @param {string} ciphertext @returns {string} */
    decrypt(ciphertext) {
        const [version, nonce, sealed] = String(ciphertext).split(":");
        if (version !== "v1" || !nonce || !sealed) throw new Error("not a v1 ciphertext");
        const bytes = Buffer.from(sealed, "base64");
        const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, Buffer.from(nonce, "base64"));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString("utf8");
    }

    /** A secret property value as a checkpoint stores it. @param {unknown} value @returns {SealedValue} */
    seal(value) {
        return { [SECRET_SIG]: SECRET_VALUE, ciphertext: this.encrypt(JSON.stringify(value)) };
    }

    /** The value a sealed property holds (throws on a wrong key or a tampered ciphertext). @param {SealedValue} sealed @returns {any} */
    unseal(sealed) {
        return JSON.parse(this.decrypt(sealed.ciphertext));
    }

    /** The secrets provider's entry of a checkpoint: the salt and the check word, nothing secret. */
    get secretsProvider() {
        return { type: "passphrase", state: { salt: `v1:${this.salt.toString("base64")}:${this.encrypt("pulumi")}` } };
    }
}

module.exports = { PassphraseCrypter, SECRET_SIG, SECRET_VALUE };
