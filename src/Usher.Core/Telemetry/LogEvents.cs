namespace Usher.Core.Telemetry;

/// <summary>Every log event id of Usher, in one place so that ids stay stable across releases.</summary>
internal static class LogEvents
{
    // Repository and lifecycle: 1000-1099
    /// <summary>A model version finished loading and is ready.</summary>
    public const int VersionReady = 1000;
    /// <summary>A model version failed to load.</summary>
    public const int VersionLoadFailed = 1001;
    /// <summary>A model version was unloaded after draining.</summary>
    public const int VersionUnloaded = 1002;
    /// <summary>A model's config.yaml is invalid.</summary>
    public const int ConfigInvalid = 1003;
    /// <summary>An entry of a model folder is not a version.</summary>
    public const int EntryIgnored = 1004;
    /// <summary>The initial load of the repository finished.</summary>
    public const int RepositoryLoaded = 1005;
    /// <summary>A poll found a change and reloads a model.</summary>
    public const int PollChange = 1006;
    /// <summary>A model folder disappeared and the model is unloaded.</summary>
    public const int ModelRemoved = 1007;
    /// <summary>A replaced version did not drain before the unload timeout.</summary>
    public const int DrainTimeout = 1008;
    /// <summary>A poll of the repository failed.</summary>
    public const int PollFailed = 1009;
    /// <summary>A version was loaded on its first request under the memory budget (density).</summary>
    public const int VersionLoadedOnDemand = 1020;
    /// <summary>An idle version was unloaded to make room under the memory budget.</summary>
    public const int VersionEvicted = 1021;
    /// <summary>A load on demand found no room: every loaded version is busy or pinned.</summary>
    public const int MemoryBudgetFull = 1022;

    // Scheduling: 1100-1199
    /// <summary>A version's instance autoscaler changed its executor instances.</summary>
    public const int InstancesScaled = 1100;

    // Server and hosting: 2000-2099
    /// <summary>The server is listening.</summary>
    public const int Listening = 2000;
    /// <summary>The server is shutting down and draining.</summary>
    public const int ShuttingDown = 2001;
    /// <summary>An unexpected exception escaped a request.</summary>
    public const int UnhandledRequestException = 2002;
    /// <summary>A client went away (reset the connection) before its request was read or answered.</summary>
    public const int ClientGone = 2003;
    /// <summary>The server warmed up through its own frontends before reporting ready (requests, rounds, methods compiled).</summary>
    public const int FrontendWarmedUp = 2004;
    /// <summary>The warm-up through the frontends stopped early (a request failed); the server reports ready anyway.</summary>
    public const int FrontendWarmupStopped = 2005;
    /// <summary>A request met a state store that cannot be reached (its server down or restarting); answered 503.</summary>
    public const int StateStoreUnavailable = 2006;

    // Access control: 2100-2199
    /// <summary>A credentials file (API keys, admin tokens) was loaded or reloaded; names only, never keys.</summary>
    public const int CredentialsLoaded = 2100;
    /// <summary>A credentials file changed but could not be used; the previous credentials stay.</summary>
    public const int CredentialsReloadFailed = 2101;
    /// <summary>A request was refused for a missing or wrong API key.</summary>
    public const int ApiKeyRefused = 2102;
    /// <summary>An admin action (deploy, rollout action, fault, load, unload, download) and who did it.</summary>
    public const int AdminAudit = 2103;
    /// <summary>An admin request was refused (no or a wrong admin token, or a remote client without one).</summary>
    public const int AdminRefused = 2104;

    // Control plane: 3000-3099
    /// <summary>A rollout changed state (deploy, step, promote, rollback, ...).</summary>
    public const int RolloutTransition = 3001;
    /// <summary>A tick of the rollout controller failed.</summary>
    public const int RolloutTickFailed = 3002;
    /// <summary>A model's config.yaml rollout section is invalid, so a new version was not rolled out.</summary>
    public const int RolloutSectionInvalid = 3003;
    /// <summary>A rollout that a model's config.yaml asks for failed to start (a bug or a broken environment).</summary>
    public const int RepositoryDeployFailed = 3004;
    /// <summary>The control plane opened its state file (which one, for which repository).</summary>
    public const int StateOpened = 3010;
    /// <summary>Stored state names a model or version that is not in the repository; it is not resumed.</summary>
    public const int StaleState = 3011;
    /// <summary>The repository has no models, so stored state was not checked against it.</summary>
    public const int StaleStateSkipped = 3012;

    // Shadow mirroring: 3100-3199
    /// <summary>An endpoint started mirroring to a shadow version.</summary>
    public const int ShadowStarted = 3100;
    /// <summary>An endpoint stopped mirroring.</summary>
    public const int ShadowStopped = 3101;
    /// <summary>A shadow version failed a mirrored request (the client was answered by the primary).</summary>
    public const int ShadowFailed = 3102;
    /// <summary>Recording a mirrored pair threw (a bug).</summary>
    public const int ShadowObserverFailed = 3103;
    // 3104, 3105: retired (the shadow thread's scheduling policy, which is no longer lowered).

    // Streaming: 3200-3299
    /// <summary>A stream consumer started reading.</summary>
    public const int StreamStarted = 3200;
    /// <summary>A stream consumer stopped reading and drained its in-flight messages.</summary>
    public const int StreamDrained = 3201;
    /// <summary>A message went to the dead-letter destination.</summary>
    public const int StreamDeadLettered = 3202;
    /// <summary>Writing answers to the sink failed; the batch is retried and stays unacknowledged meanwhile.</summary>
    public const int StreamSinkFailed = 3203;
    /// <summary>A transport's reading loop failed and reconnects.</summary>
    public const int StreamSourceFailed = 3204;
    /// <summary><c>usher stream --metrics-port</c> serves <c>/metrics</c> at an address.</summary>
    public const int StreamMetricsListening = 3205;
    /// <summary>Acknowledging messages at the source failed; retried, the messages stay in flight meanwhile.</summary>
    public const int StreamAcknowledgeFailed = 3206;
    /// <summary>A source read again after it had lost its broker.</summary>
    public const int StreamSourceRecovered = 3207;

    // Request logging: 3300-3399
    /// <summary>A model's request log could not write a record (the record is lost and counted).</summary>
    public const int RequestLogWriteFailed = 3300;
    /// <summary>A model's request log deleted its oldest file to stay under max_bytes.</summary>
    public const int RequestLogFileDeleted = 3301;
    /// <summary>A model's request log wrote again after failing writes (a full disk freed).</summary>
    public const int RequestLogResumed = 3302;

    // Cluster (replicas sharing PostgreSQL): 3400-3499
    /// <summary>A replica registered itself in the shared registry.</summary>
    public const int ReplicaRegistered = 3400;
    /// <summary>A replica's heartbeat (or its sweep for quiet replicas) failed; it tries again at the next interval.</summary>
    public const int HeartbeatFailed = 3401;
    /// <summary>A replica marked others down: no heartbeat within the timeout.</summary>
    public const int ReplicasMarkedDown = 3402;
    /// <summary>A replica marked itself down on a clean stop.</summary>
    public const int ReplicaStopped = 3403;
    /// <summary>This replica took the leadership (the rollout controller runs here).</summary>
    public const int LeadershipTaken = 3410;
    /// <summary>This replica lost or gave up the leadership.</summary>
    public const int LeadershipLost = 3411;
    /// <summary>A leader election attempt failed (the database could not be reached); it tries again at the next poll.</summary>
    public const int LeaderElectionFailed = 3412;
    /// <summary>The route-change listener lost its connection and reconnects.</summary>
    public const int RouteListenerDisconnected = 3420;
    /// <summary>The route-change listener listens again (and has re-read every route table).</summary>
    public const int RouteListenerReconnected = 3421;
    /// <summary>Reloading route tables after a notification or the periodic re-read failed.</summary>
    public const int RouteReloadFailed = 3422;
    /// <summary>This replica leads: it re-read the active rollouts from the store and resumed each at its step.</summary>
    public const int ControllerResumedAsLeader = 3430;
    /// <summary>Taking over the rollout controller, or one of its steps as the leader, failed.</summary>
    public const int LeaderControllerFailed = 3431;
    /// <summary>This replica stopped running the rollout controller (another replica leads).</summary>
    public const int ControllerStoppedAsFollower = 3432;
    /// <summary>A replica could not register in the shared database at start; the server stops.</summary>
    public const int ReplicaRegistrationFailed = 3433;
    /// <summary>A replica could not flush its window summaries to the shared database; the next flush carries them.</summary>
    public const int WindowFlushFailed = 3434;
    /// <summary>Reloading the faults from the shared database, after a notification or the periodic re-read, failed.</summary>
    public const int FaultReloadFailed = 3440;
    /// <summary>The server started with faults from its state store in force.</summary>
    public const int FaultsRestored = 3441;

    // Hardware requirements (a model's hardware: in its config.yaml): 3450-3459
    /// <summary>A replica loaded a model whose <c>hardware:</c> requirement its own <c>hw</c> label does not meet (it serves direct calls; the gateway sends it none of the model's requests).</summary>
    public const int ModelHardwareUnmet = 3450;

    // Gateway: 3500-3599
    /// <summary>The gateway could not read the replica registry; it keeps routing by the last snapshot it read.</summary>
    public const int GatewayRegistryReadFailed = 3500;
    /// <summary>The gateway's set of replicas changed (one came, went or moved).</summary>
    public const int GatewayReplicasChanged = 3501;
    /// <summary>The gateway retried a request on another replica.</summary>
    public const int GatewayRetried = 3502;
    /// <summary>The gateway answered 503: no replica fits the request.</summary>
    public const int GatewayNoReplica = 3503;
    /// <summary>The gateway listens (its REST and gRPC addresses).</summary>
    public const int GatewayListening = 3504;

    // Cluster: faults of replicas that are gone: 3520-3529
    /// <summary>The leader removed a fault scoped to a replica that is gone (marked down longer than <c>cluster.fault_grace</c>, or no longer registered).</summary>
    public const int GoneReplicaFaultRemoved = 3520;
    /// <summary>The leader's removal of the faults of replicas that are gone failed; its next tick tries again.</summary>
    public const int GoneReplicaFaultsRemovalFailed = 3521;
}
