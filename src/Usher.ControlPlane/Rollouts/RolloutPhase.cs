namespace Usher.ControlPlane.Rollouts;

/// <summary>Where a rollout stands. The last three are final.</summary>
internal enum RolloutPhase
{
    /// <summary>Blue-green: the new version is loaded and being validated; it has no traffic.</summary>
    Validating,

    /// <summary>Canary: a step is running and its analysis is collecting samples.</summary>
    Progressing,

    /// <summary>Paused by an operator; the weights stay as they are.</summary>
    Paused,

    /// <summary>A step lacked the minimum samples past its deadline; waits for an operator (resume, promote or rollback).</summary>
    Inconclusive,

    /// <summary>Blue-green: all traffic is on the new version; the old one stays loaded until the window ends.</summary>
    RollbackWindow,

    /// <summary>Shadow: the new version gets copies of the traffic, its answers are compared and never returned.</summary>
    Shadowing,

    /// <summary>The new version serves all traffic; the old one is unloaded.</summary>
    Succeeded,

    /// <summary>Traffic went back to the stable version; the candidate is unloaded and takes no requests.</summary>
    RolledBack,

    /// <summary>Stopped before any traffic moved (validation failed or the version could not load).</summary>
    Aborted,
}
