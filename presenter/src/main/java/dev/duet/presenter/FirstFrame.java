package dev.duet.presenter;

import dev.duet.thrift.chat.AuthRequest;

/**
 * A client's first frame: its bytes exactly as received (length prefix included), for the chat server, and the
 * {@code authenticate} request decoded from it, for routing, and the call's seqid, to answer a refusal.
 */
record FirstFrame(byte[] raw, int seqId, AuthRequest request) {
}
