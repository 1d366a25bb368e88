"""The request app's pages, one module per area: the queue and a request's own page
(`requests`), its answers, timeline, people, changes, erasure and transmission, the system
tasks, and the public pages a requester opens from a link (`public`)."""
