// A stack of integrations described by JELOU_TEST_SPEC:
//   { integrations: [{ name, args, webhookFrom? }] }; webhookFrom names a Receiver resource whose
//   `url` output becomes the webhook (unknown during a preview of its creation).
"use strict";
const pulumi = require("@pulumi/pulumi");
const { ExternalSupportIntegration } = require("pulumi-jelou");

class Receiver extends pulumi.CustomResource {
    constructor(name) {
        super("test:index:Receiver", name, { url: undefined });
    }
}

const spec = JSON.parse(process.env.JELOU_TEST_SPEC);
for (const integration of spec.integrations) {
    const webhookUrl = integration.webhookFrom ? new Receiver(integration.webhookFrom).url : integration.args.webhookUrl;
    new ExternalSupportIntegration(integration.name, { ...integration.args, webhookUrl });
}
