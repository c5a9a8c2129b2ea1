namespace Usher.ControlPlane.Rollouts;

/// <summary>Names of rollout states as the admin API and the CLI write them.</summary>
internal static class RolloutText
{
    /// <summary>The phase in snake_case (<c>rolled_back</c>).</summary>
    public static string Phase(RolloutPhase phase) => phase switch
    {
        RolloutPhase.Validating => "validating",
        RolloutPhase.Progressing => "progressing",
        RolloutPhase.Paused => "paused",
        RolloutPhase.Inconclusive => "inconclusive",
        RolloutPhase.RollbackWindow => "rollback_window",
        RolloutPhase.Shadowing => "shadowing",
        RolloutPhase.Succeeded => "succeeded",
        RolloutPhase.RolledBack => "rolled_back",
        _ => "aborted",
    };
}
