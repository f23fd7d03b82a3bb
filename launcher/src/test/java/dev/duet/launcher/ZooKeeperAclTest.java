package dev.duet.launcher;

import dev.duet.chat.testing.SharedHBase;
import dev.duet.ring.ZooKeeperAccess;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static dev.duet.chat.testing.ChatCluster.waitFor;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The znodes of a running system ({@code duet local}'s setup: a credentials file per role) are closed to anyone else:
 * a process without credentials can neither register a ring member nor read the TLS ticket keys, nor even list the
 * ring; a presenter's credentials cannot register a member, and a chat server's cannot read the ticket keys.
 */
class ZooKeeperAclTest {
    @TempDir
    Path data;

    private LocalCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void onlyChatServersRegisterMembersAndOnlyPresentersTouchTheTicketKeys() throws Exception {
        cluster = LocalCluster.startOn(SharedHBase.get(), new LocalCluster.Settings(data, 1, 0, 0, 0));
        String members = cluster.ringPath() + "/members";
        String tickets = cluster.ticketKeysPath();
        byte[] rogue = "127.0.0.1:1".getBytes(StandardCharsets.UTF_8);
        try (CuratorFramework anyone = client(null);
             CuratorFramework presenter = client(ZooKeeperAccess.PRESENTER_USER);
             CuratorFramework chatServer = client(ZooKeeperAccess.CHAT_SERVER_USER)) {
            assertTrue(waitFor(() -> exists(chatServer, members + "/chat-1")), "the cluster's member is there");
            assertThrows(KeeperException.NoAuthException.class, () -> anyone.create()
                    .withMode(CreateMode.EPHEMERAL).forPath(members + "/rogue", rogue));
            assertThrows(KeeperException.NoAuthException.class, () -> anyone.getChildren().forPath(members));
            assertThrows(KeeperException.NoAuthException.class, () -> anyone.getData().forPath(tickets));
            assertThrows(KeeperException.NoAuthException.class, () -> anyone.setData().forPath(tickets,
                    "attacker's keys".getBytes(StandardCharsets.UTF_8)));

            assertThrows(KeeperException.NoAuthException.class, () -> presenter.create()
                    .withMode(CreateMode.EPHEMERAL).forPath(members + "/rogue", rogue));
            assertThrows(KeeperException.NoAuthException.class, () -> presenter.delete().forPath(members
                    + "/chat-1"));
            assertNotNull(presenter.getChildren().forPath(members), "presenters read the ring");
            assertNotNull(presenter.getData().forPath(tickets), "presenters read the ticket keys");

            assertThrows(KeeperException.NoAuthException.class, () -> presenter.setData().forPath(
                    cluster.ringPath() + "/incarnation", new byte[8]), "presenters cannot change the incarnation");
            assertThrows(KeeperException.NoAuthException.class, () -> presenter.setACL()
                    .withACL(org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(members),
                    "nor open the ring");

            assertThrows(KeeperException.NoAuthException.class, () -> chatServer.getData().forPath(tickets));
            assertThrows(KeeperException.NoAuthException.class, () -> chatServer.setData().forPath(tickets,
                    "chat server's keys".getBytes(StandardCharsets.UTF_8)));
            assertNotNull(chatServer.getACL().forPath(cluster.ringPath()), "chat servers may manage the ring's ACLs");
        }
    }

    private static boolean exists(CuratorFramework client, String path) {
        try {
            return client.checkExists().forPath(path) != null;
        } catch (Exception e) {
            return false;
        }
    }

    /** A client of the cluster's ZooKeeper, authenticated as {@code user} (null: anonymous). */
    private CuratorFramework client(String user) throws Exception {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(SharedHBase.get().zookeeperConnectString()).retryPolicy(new RetryOneTime(100));
        if (user != null) {
            ZooKeeperAccess access = ZooKeeperAccess.load(LocalCluster.zookeeperCredentials(data, user));
            builder.authorization("digest", (access.user() + ":" + access.password())
                    .getBytes(StandardCharsets.UTF_8));
        }
        CuratorFramework client = builder.build();
        client.start();
        client.blockUntilConnected();
        return client;
    }
}
