// The machines run Node 20; the AWS SDK warns on every client that its 2027 releases need Node 22
// (README, "Node versions"). Deployed functions run Node 24. Keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// DynamoDB Local is a JVM that lives for seconds to minutes in a test: its optimizing (C2) JIT
// compiler costs more start-up than it wins back (answering took ~5.5 s instead of ~2 s on two
// busy cores). The JVMs the tests start, in process or under `npm start`, compile with C1 only;
// `npm start` by hand keeps Java's default.
process.env.JAVA_TOOL_OPTIONS = [process.env.JAVA_TOOL_OPTIONS, '-XX:TieredStopAtLevel=1'].filter((o) => o).join(' ');
