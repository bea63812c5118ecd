// The provider reports retries and recoveries on stderr (the engine shows them as diagnostics);
// in-process tests would print hundreds of them. Other console.error calls still print.
const original = console.error.bind(console);
jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("pulumi-jelou: ")) return;
    original(...args);
});
