namespace Usher.Cli.Commands;

/// <summary>The flags of <c>usher deploy</c> that override a spec file's keys, as typed (null: not given).</summary>
/// <param name="Endpoint">ENDPOINT: <c>endpoint</c>.</param>
/// <param name="Version">--version: <c>version</c>.</param>
/// <param name="Strategy">--strategy: <c>strategy</c>.</param>
/// <param name="Steps">--steps 5,25,50,100: <c>canary.steps</c>.</param>
/// <param name="Interval">--interval: <c>canary.interval</c>.</param>
/// <param name="RollbackWindow">--rollback-window: <c>blue_green.rollback_window</c>.</param>
/// <param name="Percent">--percent (10 or 10%): <c>shadow.percent</c>.</param>
/// <param name="Variants">--variants 1:50,2:50: <c>ab.variants</c>.</param>
/// <param name="Metric">--metric: <c>ab.metric</c>.</param>
internal sealed record DeployFlags(
    string? Endpoint = null,
    string? Version = null,
    string? Strategy = null,
    string? Steps = null,
    string? Interval = null,
    string? RollbackWindow = null,
    string? Percent = null,
    string? Variants = null,
    string? Metric = null);
