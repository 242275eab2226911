import java.io.IOException;
import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local (AWS's DynamoDBLocal.jar) bound to one address instead of every interface,
 * and ends it when its parent goes away.
 *
 * Usage: java -cp <this>:DynamoDBLocal.jar:DynamoDBLocal_lib/* LoopbackDynamoDbLocal HOST [DynamoDB Local options]
 *
 * DynamoDB Local has no bind-address option: its server is a Jetty server on a connector without a
 * host, which listens on the wildcard address. This launcher builds the server from the usual
 * command line, sets the host of its connectors, then starts it.
 *
 * Watchdog: the parent keeps this process's stdin open and never writes to it. When the parent
 * exits, however it exits (SIGKILL included), the kernel closes its end of the pipe, stdin reads
 * end-of-file, and this process exits.
 */
public final class LoopbackDynamoDbLocal {
  private LoopbackDynamoDbLocal() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: LoopbackDynamoDbLocal HOST [DynamoDB Local options]");
      System.exit(2);
    }
    String host = args[0];
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      ((ServerConnector) connector).setHost(host);
    }

    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // The parent never writes; anything read is ignored.
        }
      } catch (IOException e) {
        // A broken stdin means the parent is gone too.
      }
      System.err.println("LoopbackDynamoDbLocal: parent gone (stdin closed), exiting");
      Thread halt = new Thread(() -> {
        try {
          Thread.sleep(3000);
        } catch (InterruptedException e) {
          // halt now
        }
        Runtime.getRuntime().halt(0);
      }, "halt-after-grace");
      halt.setDaemon(true);
      halt.start();
      System.exit(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    proxy.start();
    proxy.join();
  }
}
