namespace Usher.Cli.Admin;

/// <summary>An operator's action on an endpoint's rollout: <c>POST /admin/endpoints/{e}/rollout/{action}</c>.</summary>
internal enum RolloutAction
{
    /// <summary>Skip the remaining steps and give the candidate all traffic.</summary>
    Promote,

    /// <summary>Hold the current weights; the controller stops deciding.</summary>
    Pause,

    /// <summary>Let the controller decide again after a pause or an inconclusive analysis.</summary>
    Resume,

    /// <summary>Give the stable version all traffic back.</summary>
    Rollback,
}
