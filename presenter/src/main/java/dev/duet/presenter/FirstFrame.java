package dev.duet.presenter;

import dev.duet.thrift.chat.AuthRequest;

/**
 * A client's first frame: its bytes exactly as received (length prefix included), for the chat server, and the
 * {@code authenticate} request decoded from it, for routing.
 */
record FirstFrame(byte[] raw, AuthRequest request) {
}
