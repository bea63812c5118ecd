const { removeConsumer } = require("./consumer");

module.exports = async () => {
    removeConsumer(process.env.JELOU_CONSUMER_DIR);
};
