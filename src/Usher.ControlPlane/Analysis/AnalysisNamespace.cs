namespace Usher.ControlPlane.Analysis;

/// <summary>Placeholder so the project compiles before the analysis lands; remove when a real type exists.</summary>
internal static class AnalysisNamespace
{
}
