// Every answer shape docs/jelou-api.md documents, read by the one function that reads answers.
import { readAnswer } from "../../../provider/api/answers";

const ENVELOPE = { message: ["Success"], statusMessage: "success", status: 1 };
const INTEGRATION = {
    id: "2f1c9a7e-int",
    brainId: "brain-1",
    webhookUrl: "https://support.example.com/jelou",
    authType: "bearer",
    createdAt: "2026-11-02T10:00:00.000Z",
};
const SECRET = "c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz";

describe("documented answer shapes", () => {
    it.each([
        ["bare", { ...INTEGRATION, signingSecret: SECRET }],
        ["envelope", { ...ENVELOPE, data: { ...INTEGRATION, signingSecret: SECRET } }],
    ])("create (%s): the id and the secret", (_shape, body) => {
        expect(readAnswer("create", body)).toEqual({ usable: true, value: { ...INTEGRATION, signingSecret: SECRET } });
    });

    it("GET (bare): every field, without the secret", () => {
        const body = { ...INTEGRATION, updatedAt: "2026-11-03T10:00:00.000Z" };
        expect(readAnswer("get", body)).toEqual({ usable: true, value: body });
    });

    it("GET (envelope): no id and no authType, which are left out as not said", () => {
        const data = {
            brainId: "brain-1",
            webhookUrl: INTEGRATION.webhookUrl,
            createdAt: INTEGRATION.createdAt,
            updatedAt: INTEGRATION.createdAt,
        };
        const reading = readAnswer("get", { ...ENVELOPE, data });
        expect(reading).toEqual({ usable: true, value: data });
        // Left out, not set to undefined: spreading it over what another answer said keeps that.
        if (reading.usable) expect(Object.keys(reading.value)).not.toContain("id");
    });

    it("PATCH (bare): the integration as it is now", () => {
        expect(readAnswer("update", { ...INTEGRATION })).toEqual({ usable: true, value: INTEGRATION });
    });

    it("regenerate (bare): the secret and regeneratedAt", () => {
        expect(readAnswer("regenerate", { signingSecret: SECRET, regeneratedAt: "2026-11-04T10:00:00.000Z" })).toEqual({
            usable: true,
            value: { signingSecret: SECRET, issuedAt: "2026-11-04T10:00:00.000Z" },
        });
    });

    it("regenerate (envelope): brainId and the secret, no regeneratedAt", () => {
        expect(readAnswer("regenerate", { ...ENVELOPE, data: { brainId: "brain-1", signingSecret: SECRET } })).toEqual({
            usable: true,
            value: { signingSecret: SECRET, brainId: "brain-1" },
        });
    });

    it.each([
        ["a message envelope with no data", { message: ["Integration deleted successfully"], statusMessage: "success", status: 1 }],
        ["an empty body (204)", ""],
    ])("delete: %s", (_what, body) => {
        expect(readAnswer("delete", body)).toEqual({ usable: true, value: undefined });
    });
});

describe("a field that cannot be read is not said, and spoils only a step that needs it (issue 16, item 5)", () => {
    it.each([
        ["no id", { ...INTEGRATION, id: undefined }, "id"],
        ["an id that is an object", { ...INTEGRATION, id: { $oid: "x" } }, "id"],
        ["an id of 300 characters", { ...INTEGRATION, id: "x".repeat(300) }, "id"],
        ["an id beyond 2^53 (JSON.parse lost its digits)", { ...INTEGRATION, id: 2 ** 53 + 2 }, "id"],
        ["a brainId with a newline", { ...INTEGRATION, brainId: "brain\n1" }, "brainId"],
        ["a createdAt that is not a time", { ...INTEGRATION, createdAt: "yesterday" }, "createdAt"],
        ["an unknown authType", { ...INTEGRATION, authType: "oauth" }, "authType"],
        ["a webhookUrl that is a number", { ...INTEGRATION, webhookUrl: 42 }, "webhookUrl"],
    ])("create with %s is used, that field not said", (_what, fields, field) => {
        const reading = readAnswer("create", { ...fields, signingSecret: SECRET });
        expect(reading.usable).toBe(true);
        if (reading.usable) {
            expect(reading.value.signingSecret).toBe(SECRET);
            expect(field in reading.value).toBe(false);
        }
    });

    it("a regenerate needs only its secret", () => {
        expect(readAnswer("regenerate", { signingSecret: SECRET, brainId: { x: 1 }, regeneratedAt: 17 })).toEqual({
            usable: true,
            value: { signingSecret: SECRET, issuedAt: undefined, brainId: undefined },
        });
    });

    it("a GET with one unreadable field keeps the others", () => {
        expect(readAnswer("get", { ...INTEGRATION, createdAt: { at: 1 } })).toMatchObject({
            usable: true,
            value: { webhookUrl: INTEGRATION.webhookUrl },
        });
    });
});

describe("answers that cannot be used", () => {
    it.each([
        ["no signingSecret", { ...INTEGRATION }, /no signingSecret/],
        ["an empty signingSecret", { ...INTEGRATION, signingSecret: "" }, /empty signingSecret/],
        ["a whitespace signingSecret", { ...INTEGRATION, signingSecret: " \n " }, /empty signingSecret/],
        ["a signingSecret that is not a string", { ...INTEGRATION, signingSecret: 42 }, /not a string/],
        ["text", "OK", /text, not JSON/],
        ["an HTML page", "<html><body>OK</body></html>", /HTML/],
        ["an empty body", "", /empty body/],
        ["a failure envelope", { message: ["boom"], statusMessage: "failed", status: 0 }, /failure envelope/],
    ])("create with %s", (_what, body, reason) => {
        const reading = readAnswer("create", body);
        expect(reading.usable).toBe(false);
        if (!reading.usable) expect(reading.reason).toMatch(reason);
    });

    it("create without a secret still says the id it carried, for the recovery's ownership check", () => {
        const reading = readAnswer("create", { ...ENVELOPE, data: { ...INTEGRATION } });
        expect(reading).toEqual({ usable: false, reason: "no signingSecret", said: INTEGRATION });
    });

    it("a createdAt that cannot be read is not said: the answer is used for what it does say", () => {
        for (const createdAt of ["yesterday", { $date: 1 }, 12345678901, "2026-02-30T10:00:00Z"]) {
            const { createdAt: _, ...rest } = INTEGRATION;
            expect(readAnswer("create", { ...INTEGRATION, createdAt, signingSecret: SECRET })).toEqual({
                usable: true,
                value: { ...rest, signingSecret: SECRET },
            });
        }
    });

    it("a createdAt in another readable form is kept as Jelou wrote it (an epoch number as its digits)", () => {
        for (const [createdAt, kept] of [
            [1772360455998, "1772360455998"],
            ["Sun, 01 Mar 2026 10:20:55 GMT", "Sun, 01 Mar 2026 10:20:55 GMT"],
            ["2026-03-01T10:20:55", "2026-03-01T10:20:55"],
        ]) {
            expect(readAnswer("get", { ...INTEGRATION, createdAt })).toEqual({ usable: true, value: { ...INTEGRATION, createdAt: kept } });
        }
    });

    it("a GET that names no integration is no description of one", () => {
        expect(readAnswer("get", { ...ENVELOPE, data: { brainId: "brain-1" } })).toMatchObject({
            usable: false,
            reason: "no integration in the body",
        });
    });

    it("a regenerate with an empty secret is unusable, never recorded", () => {
        expect(readAnswer("regenerate", { ...ENVELOPE, data: { brainId: "brain-1", signingSecret: "" } })).toMatchObject({ usable: false });
    });

    it("a delete answered with HTML is unusable: the DELETE may or may not have been applied", () => {
        expect(readAnswer("delete", "<html>502 Bad Gateway</html>")).toMatchObject({ usable: false });
    });
});
