namespace Usher.ControlPlane.Deployments;

/// <summary>A blue-green deployment's settings.</summary>
/// <param name="RollbackWindow">How long the old version stays loaded after the switch, so that a rollback is instant. Default 10 min.</param>
/// <param name="Agreement">Validation by agreement with the current version; null skips it.</param>
internal sealed record BlueGreenSpec(TimeSpan RollbackWindow, AgreementSpec? Agreement)
{
    /// <summary>The defaults: a 10-minute window and agreement validation with its defaults.</summary>
    public static BlueGreenSpec Default { get; } = new(TimeSpan.FromMinutes(10), new AgreementSpec());
}
