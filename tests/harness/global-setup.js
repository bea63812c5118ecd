const { createConsumer } = require("./consumer");

module.exports = async () => {
    process.env.JELOU_CONSUMER_DIR = createConsumer();
};
