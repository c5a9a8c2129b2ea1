namespace Usher.Capacity.Density;

/// <summary>The paper calculation's inputs: many models on few replicas under a memory budget.</summary>
/// <param name="Models">Models (one version each).</param>
/// <param name="Replicas">Replicas.</param>
/// <param name="ModelMiB">Memory one loaded version takes (its RSS delta at load).</param>
/// <param name="BaseMiB">A replica's memory with no model loaded.</param>
/// <param name="BudgetMiB">The memory budget for models per replica (<c>server.memory_budget</c>).</param>
/// <param name="ZipfExponent">Popularity: the i-th model gets a share proportional to 1 / i^s.</param>
/// <param name="TotalRps">Requests per second over all models.</param>
/// <param name="ColdStartMs">A lazy load's time (the first request waits for it).</param>
/// <param name="Copies">With a model-aware gateway: replicas each model is routed to.</param>
internal sealed record DensitySettings(
    int Models,
    int Replicas,
    double ModelMiB,
    double BaseMiB,
    double BudgetMiB,
    double ZipfExponent,
    double TotalRps,
    double ColdStartMs,
    int Copies);
