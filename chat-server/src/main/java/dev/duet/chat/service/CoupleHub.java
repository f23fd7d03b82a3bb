package dev.duet.chat.service;

import dev.duet.chat.store.HBaseChatStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The couples with live sessions (or appends still in HBase) on this server. */
public final class CoupleHub {
    private final Map<String, Couple> couples = new ConcurrentHashMap<>();
    private final HBaseChatStore store;
    private final OwnerLookup owners;

    public CoupleHub(HBaseChatStore store, OwnerLookup owners) {
        this.store = store;
        this.owners = owners;
    }

    /** Adds a session to its couple; atomic with {@link #leave} for the same couple. */
    Couple join(String coupleId, ChatSession session) {
        return couples.compute(coupleId, (id, couple) -> {
            Couple joined = couple != null ? couple : new Couple(id, store, owners, this::removeIfIdle);
            joined.sessions().add(session);
            return joined;
        });
    }

    /** Removes a session; the couple goes too once it has no session and no append in progress. */
    void leave(Couple couple, ChatSession session) {
        couple.sessions().remove(session);
        removeIfIdle(couple);
    }

    private void removeIfIdle(Couple couple) {
        couples.computeIfPresent(couple.id(), (id, current) -> current == couple && current.isIdle() ? null : current);
    }

    /** The live sessions of each couple, for sweeping after a ring change. */
    public Map<String, List<ChatSession>> sessionsByCouple() {
        Map<String, List<ChatSession>> byCouple = new HashMap<>();
        couples.forEach((id, couple) -> byCouple.put(id, new ArrayList<>(couple.sessions())));
        return byCouple;
    }

    /** Every live session, for draining. */
    public List<ChatSession> sessions() {
        List<ChatSession> all = new ArrayList<>();
        couples.values().forEach(couple -> all.addAll(couple.sessions()));
        return all;
    }

    public int coupleCount() {
        return couples.size();
    }
}
