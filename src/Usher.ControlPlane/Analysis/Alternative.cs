namespace Usher.ControlPlane.Analysis;

/// <summary>The alternative hypothesis of a test.</summary>
internal enum Alternative
{
    /// <summary>The two samples differ in either direction.</summary>
    TwoSided,

    /// <summary>The second-named sample (b, or x for rank tests) is greater than the other.</summary>
    Greater,
}
