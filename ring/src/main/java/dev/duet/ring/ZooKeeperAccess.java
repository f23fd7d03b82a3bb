package dev.duet.ring;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

/**
 * Who this process is to ZooKeeper (a digest user and password) and which ZooKeeper identities are chat servers and
 * presenters, read from a credentials file:
 * <pre>
 * user=duet-chat-server
 * password=…
 * chat-servers=duet-chat-server:&lt;digest&gt;[,…]
 * presenters=duet-presenter:&lt;digest&gt;[,…]
 * </pre>
 * A digest is ZooKeeper's {@code base64(sha1(user:password))}; a file names the other role only by digest, never by
 * password. Listing two ids for a role lets credentials rotate without a moment when one side is locked out.
 *
 * <p>The ACLs ({@link #aclProvider}): only chat servers may create and delete ring members, presenters may only read
 * the ring; only presenters may read or write the TLS ticket keys; the parents of both take children from both roles
 * (a presenter may create the ring's containers when it starts first: they get these ACLs whoever creates them);
 * chat servers may change the ACLs of the ring's znodes and their parents (for rotation), presenters those of the
 * ticket keys; nobody without credentials may do anything. ACLs apply to znodes as they are created:
 * {@link #warnIfOpen} reports znodes made before credentials were in use.
 */
public record ZooKeeperAccess(String user, String password, List<Id> chatServers, List<Id> presenters) {
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperAccess.class);
    public static final String CHAT_SERVER_USER = "duet-chat-server";
    public static final String PRESENTER_USER = "duet-presenter";

    public ZooKeeperAccess {
        chatServers = List.copyOf(chatServers);
        presenters = List.copyOf(presenters);
        if (user.isEmpty() || user.contains(":") || password.isEmpty()) {
            throw new IllegalArgumentException("a ZooKeeper user (without ':') and a password are needed");
        }
        if (chatServers.isEmpty() || presenters.isEmpty()) {
            throw new IllegalArgumentException("the ids of both chat servers and presenters are needed");
        }
    }

    public static ZooKeeperAccess load(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in);
        }
        try {
            return new ZooKeeperAccess(properties.getProperty("user", ""), properties.getProperty("password", ""),
                    ids(properties.getProperty("chat-servers", "")), ids(properties.getProperty("presenters", "")));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static List<Id> ids(String list) {
        List<Id> ids = new ArrayList<>();
        for (String id : list.split(",")) {
            if (!id.isBlank()) {
                if (!id.trim().contains(":")) {
                    throw new IllegalArgumentException("'" + id.trim() + "' is not user:digest");
                }
                ids.add(new Id("digest", id.trim()));
            }
        }
        return ids;
    }

    /**
     * Writes fresh credentials for both roles, each file readable by its owner only and holding its own role's
     * password and both roles' digests.
     */
    public static void generate(Path chatServerFile, Path presenterFile) throws IOException {
        String chatPassword = secret();
        String presenterPassword = secret();
        String chatIds = digest(CHAT_SERVER_USER, chatPassword);
        String presenterIds = digest(PRESENTER_USER, presenterPassword);
        write(chatServerFile, CHAT_SERVER_USER, chatPassword, chatIds, presenterIds);
        write(presenterFile, PRESENTER_USER, presenterPassword, chatIds, presenterIds);
    }

    private static void write(Path file, String user, String password, String chatIds, String presenterIds)
            throws IOException {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        properties.setProperty("chat-servers", chatIds);
        properties.setProperty("presenters", presenterIds);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            properties.store(out, "ZooKeeper credentials of " + user + " (docs/operations.md, Security)");
        }
    }

    private static String secret() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** ZooKeeper's id of a digest user: {@code user:base64(sha1(user:password))}. */
    public static String digest(String user, String password) {
        try {
            return DigestAuthenticationProvider.generateDigest(user + ":" + password);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is not available in this JVM", e);
        }
    }

    /** A client builder that authenticates as this user and creates every znode with {@link #aclProvider}. */
    public CuratorFrameworkFactory.Builder applyTo(CuratorFrameworkFactory.Builder builder, String ringPath,
                                                   String ticketKeysPath) {
        return builder.authorization("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8))
                .aclProvider(aclProvider(ringPath, ticketKeysPath));
    }

    /** The ACLs above, for the ring at {@code ringPath} and the ticket keys at {@code ticketKeysPath} (null: none). */
    public ACLProvider aclProvider(String ringPath, String ticketKeysPath) {
        String members = ringPath + "/members";
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return both(Perms.ALL, Perms.ALL);
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                if (ticketKeysPath != null && (path.equals(ticketKeysPath) || isAncestor(path, ticketKeysPath))
                        && !isAncestor(path, ringPath)) {
                    return both(0, Perms.ALL);
                }
                if (path.equals(members) || path.startsWith(members + "/") || path.equals(ringPath + "/incarnation")) {
                    return both(Perms.ALL, Perms.READ);
                }
                if (path.equals(ringPath)) {
                    return both(Perms.ALL, Perms.CREATE | Perms.READ);
                }
                if (isAncestor(path, ringPath)) {
                    return both(Perms.CREATE | Perms.READ | Perms.ADMIN, Perms.CREATE | Perms.READ);
                }
                return getDefaultAcl();
            }
        };
    }

    /**
     * Logs a warning for each of {@code paths} that exists with an ACL other than this file's ids (left from a setup
     * without credentials, say); docs/operations.md says how to set them.
     */
    public void warnIfOpen(CuratorFramework client, List<String> paths) {
        List<Id> ours = new ArrayList<>(chatServers);
        ours.addAll(presenters);
        for (String path : paths) {
            try {
                if (client.checkExists().forPath(path) == null) {
                    continue;
                }
                for (ACL acl : client.getACL().forPath(path)) {
                    if (!ours.contains(acl.getId())) {
                        log.warn("znode {} grants {} to {}:{}: set its ACL as docs/operations.md (Security) says",
                                path, acl.getPerms(), acl.getId().getScheme(), acl.getId().getId());
                    }
                }
            } catch (Exception e) {
                log.warn("cannot read the ACL of {}: {}", path, e.toString());
            }
        }
    }

    private static boolean isAncestor(String path, String of) {
        return of.startsWith(path.endsWith("/") ? path : path + "/");
    }

    private List<ACL> both(int chatServerPerms, int presenterPerms) {
        List<ACL> acls = new ArrayList<>();
        if (chatServerPerms != 0) {
            chatServers.forEach(id -> acls.add(new ACL(chatServerPerms, id)));
        }
        presenters.forEach(id -> acls.add(new ACL(presenterPerms, id)));
        return acls;
    }

    /** Without the password. */
    @Override
    public String toString() {
        return "ZooKeeperAccess[user=" + user + ", chatServers=" + chatServers + ", presenters=" + presenters + "]";
    }
}
