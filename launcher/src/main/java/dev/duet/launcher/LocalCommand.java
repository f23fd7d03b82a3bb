package dev.duet.launcher;

import dev.duet.protocol.auth.TokenSigner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code duet local}: the whole system on this machine until Ctrl-C. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = "Runs ZooKeeper, HBase, chat servers and a TLS presenter on this machine, until Ctrl-C.")
final class LocalCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "var", description = "Where data, keys and the certificate live.")
    Path data;

    @Option(names = "--chat-servers", defaultValue = "2", description = "How many chat servers.")
    int chatServers;

    @Option(names = "--port", defaultValue = "7443", description = "The presenter's TLS port.")
    int port;

    @Option(names = "--zookeeper-port", defaultValue = "21810", description = "The embedded ZooKeeper's port.")
    int zookeeperPort;

    @Option(names = "--mux-port", defaultValue = "7101", description = "First chat server's mux port.")
    int muxPort;

    @Override
    public Integer call() throws Exception {
        System.out.println("Starting Duet on this machine (data in " + data + ") ...");
        LocalCluster cluster = LocalCluster.start(new LocalCluster.Settings(data, chatServers, port, zookeeperPort,
                muxPort));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nStopping: draining the presenter and the chat servers ...");
            try {
                cluster.close();
            } catch (Exception e) {
                System.err.println("stopping failed: " + e);
            } finally {
                stopped.countDown();
            }
        }, "duet-local-stop"));
        printWelcome(cluster);
        stopped.await();
        return 0;
    }

    private void printWelcome(LocalCluster cluster) {
        TokenSigner signer = new TokenSigner(cluster.keys(), Clock.systemUTC());
        String ann = signer.sign("ann", "demo", "bob", Duration.ofHours(24));
        String bob = signer.sign("bob", "demo", "ann", Duration.ofHours(24));
        Path ca = cluster.certificate().certificate();
        int presenterPort = cluster.presenter().port();
        String chat = "./duet chat --port " + presenterPort + " --ca " + ca;
        System.out.println();
        System.out.println("Duet is running.");
        System.out.println("  presenter    127.0.0.1:" + presenterPort + " (TLS)");
        System.out.println("  certificate  " + ca);
        System.out.println("  chat servers " + cluster.chatServers().size());
        cluster.adminPorts().forEach((id, adminPort) ->
                System.out.println("  admin        " + id + ": http://127.0.0.1:" + adminPort + "/status"));
        System.out.println("  admin token  " + LocalCluster.adminTokenFile(data) + " (POST /drain needs it as "
                + "'Authorization: Bearer …', with 'Content-Type: application/json')");
        System.out.println("  tokens for the demo couple \"demo\" (valid 24 hours):");
        System.out.println("    ann  " + ann);
        System.out.println("    bob  " + bob);
        System.out.println();
        System.out.println("Chat from two terminals (from this directory):");
        System.out.println("  " + chat + " --token " + ann);
        System.out.println("  " + chat + " --token " + bob);
        System.out.println("or from scripts: add --send \"hello\", --history 20 or --wait-for 1.");
        System.out.println("More tokens: ./duet token --user U --couple C --partner P --key-file "
                + LocalCluster.keyFile(cluster.data()));
        System.out.println("Ctrl-C stops everything.");
    }
}
