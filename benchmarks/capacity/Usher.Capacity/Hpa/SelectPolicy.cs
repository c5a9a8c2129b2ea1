namespace Usher.Capacity.Hpa;

/// <summary><c>behavior.scale{Up,Down}.selectPolicy</c>.</summary>
internal enum SelectPolicy
{
    /// <summary>The policy that allows the largest change (the default).</summary>
    Max,

    /// <summary>The policy that allows the smallest change.</summary>
    Min,

    /// <summary>No scaling in this direction.</summary>
    Disabled,
}
