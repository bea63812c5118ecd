const { removeConsumer } = require("../../harness/consumer");

module.exports = async () => {
    removeConsumer(process.env.JELOU_CONSUMER_DIR);
};
