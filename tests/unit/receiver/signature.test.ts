import { signPayload, verifySignature } from "../../../provider/receiver/signature";

// Computed independently: RFC 4231 test case 2, and `openssl dgst -sha256 -hmac a1b2c3d4e5f6`.
const RFC4231 = {
    key: "Jefe",
    body: "what do ya want for nothing?",
    hex: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
};
const OPENSSL = {
    key: "a1b2c3d4e5f6",
    body: '{"event":"incoming_message","text":"hola"}',
    hex: "86842c092d645bb2b7cc3986daf341cff55affefc2a291aa218aa8f0188714dd",
};

describe("signature helpers", () => {
    it.each([RFC4231, OPENSSL])("sign the raw body as sha256=<hex> (%#)", ({ key, body, hex }) => {
        expect(signPayload(body, key)).toBe(`sha256=${hex}`);
        expect(signPayload(Buffer.from(body), key)).toBe(`sha256=${hex}`);
    });

    it("verify a good signature, in either case of hex, from a string or a header list", () => {
        expect(verifySignature(OPENSSL.body, `sha256=${OPENSSL.hex}`, OPENSSL.key)).toEqual({ valid: true });
        expect(verifySignature(Buffer.from(OPENSSL.body), [`sha256=${OPENSSL.hex.toUpperCase()}`], OPENSSL.key)).toEqual({ valid: true });
    });

    it("refuse a body changed by one byte, or another secret", () => {
        expect(verifySignature(`${OPENSSL.body} `, `sha256=${OPENSSL.hex}`, OPENSSL.key)).toMatchObject({
            valid: false,
            reason: "bad-signature",
        });
        expect(verifySignature(OPENSSL.body, `sha256=${OPENSSL.hex}`, "another")).toMatchObject({ valid: false, reason: "bad-signature" });
    });

    it.each([
        [undefined, "missing-header"],
        ["", "missing-header"],
        [OPENSSL.hex, "malformed-header"],
        [`sha1=${OPENSSL.hex}`, "malformed-header"],
        [`sha256=${OPENSSL.hex.slice(1)}`, "malformed-header"],
        [`sha256=${"z".repeat(64)}`, "malformed-header"],
    ])("give a clear result for the header %p", (header, reason) => {
        const result = verifySignature(OPENSSL.body, header, OPENSSL.key);
        expect(result).toMatchObject({ valid: false, reason });
        expect((result as { message: string }).message).toMatch(/X-Jelou-Signature/);
    });

    it("refuse to verify without a secret", () => {
        expect(verifySignature(OPENSSL.body, `sha256=${OPENSSL.hex}`, "")).toMatchObject({ valid: false, reason: "missing-secret" });
    });
});

describe("one vocabulary for signature refusals", () => {
    it("verifySignature and parseEvent give the same reason for every refusal of the same request", () => {
        const { parseEvent } = jest.requireActual(
            "../../../provider/receiver/events",
        ) as typeof import("../../../provider/receiver/events");
        const cases: [string, string | undefined, string][] = [
            [OPENSSL.body, `sha256=${OPENSSL.hex}`, "another-secret"],
            [OPENSSL.body, undefined, OPENSSL.key],
            [OPENSSL.body, "sha1=abc", OPENSSL.key],
            [OPENSSL.body, `sha256=${OPENSSL.hex}`, ""],
        ];
        const reasons = cases.map(([body, header, secret]) => {
            const verified = verifySignature(body, header, secret);
            const parsed = parseEvent(body, header, secret);
            return [!verified.valid && verified.reason, !parsed.ok && parsed.reason];
        });
        expect(reasons).toEqual([
            ["bad-signature", "bad-signature"],
            ["missing-header", "missing-header"],
            ["malformed-header", "malformed-header"],
            ["missing-secret", "missing-secret"],
        ]);
    });
});
