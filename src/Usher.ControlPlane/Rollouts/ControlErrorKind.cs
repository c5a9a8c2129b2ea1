namespace Usher.ControlPlane.Rollouts;

/// <summary>Why a control-plane request was refused; the admin API maps each to a status once.</summary>
internal enum ControlErrorKind
{
    /// <summary>The request or spec is invalid (400).</summary>
    Invalid,

    /// <summary>Unknown endpoint, model or version, or no rollout (404).</summary>
    NotFound,

    /// <summary>The action does not fit the current state (409).</summary>
    Conflict,
}
