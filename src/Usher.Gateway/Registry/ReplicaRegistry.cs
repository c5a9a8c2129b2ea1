namespace Usher.Gateway.Registry;

/// <summary>The latest <see cref="RegistrySnapshot"/> the gateway read; requests read it without a lock.</summary>
internal sealed class ReplicaRegistry
{
    private volatile RegistrySnapshot _current = RegistrySnapshot.Empty;

    public RegistrySnapshot Current => _current;

    public void Publish(RegistrySnapshot snapshot) => _current = snapshot;
}
