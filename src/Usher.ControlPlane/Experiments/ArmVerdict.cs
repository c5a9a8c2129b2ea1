namespace Usher.ControlPlane.Experiments;

/// <summary>What the sequential test says of an arm against the control.</summary>
internal enum ArmVerdict
{
    /// <summary>The control arm itself.</summary>
    Control,

    /// <summary>Not enough evidence yet either way.</summary>
    NotYet,

    /// <summary>Better than the control, at the experiment's α, valid at any look.</summary>
    Winner,

    /// <summary>Worse than the control.</summary>
    Loser,
}
