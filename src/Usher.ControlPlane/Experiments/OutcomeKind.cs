namespace Usher.ControlPlane.Experiments;

/// <summary>What an experiment's metric measures.</summary>
internal enum OutcomeKind
{
    /// <summary>0 or 1 per unit (converted or not); a unit assigned without feedback counts as 0.</summary>
    Binary,

    /// <summary>Any number per unit (revenue, time spent); only units with feedback count.</summary>
    Continuous,
}
