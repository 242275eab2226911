// The machines run Node 20; the AWS SDK warns on every client that its 2027 releases need Node 22
// (README, "Node versions"). Deployed functions run Node 24. Keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
