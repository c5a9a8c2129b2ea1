namespace Usher.Core.Repository;

/// <summary>One model folder of the repository as found on disk.</summary>
/// <param name="Name">The folder's name, which is the model's name.</param>
/// <param name="Directory">The model folder.</param>
/// <param name="ConfigPath">The model's <c>config.yaml</c>, or null when it has none.</param>
/// <param name="ConfigStamp">Size and write time of the config (empty without one); a change means a reload.</param>
/// <param name="Versions">The version folders found (positive integer names), ascending.</param>
/// <param name="Ignored">Entries of the model folder that are not versions, with the reason.</param>
internal sealed record RepositoryModel(
    string Name,
    string Directory,
    string? ConfigPath,
    string ConfigStamp,
    IReadOnlyList<RepositoryVersion> Versions,
    IReadOnlyList<string> Ignored);

/// <summary>One version folder.</summary>
/// <param name="Version">The version number.</param>
/// <param name="ModelPath">The model file inside it (may not exist: loading then fails with that reason).</param>
/// <param name="Stamp">Size and write time of the model file; a change means a reload.</param>
internal sealed record RepositoryVersion(long Version, string ModelPath, string Stamp);
