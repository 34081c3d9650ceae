// Pure MPIJob planning: defaults and checks, hostfiles per MPI implementation, the launcher's environment, workers on a
// cluster and on the local runtime, SSH keys, and mpi-operator's condition rules.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mpiWithDefaults, validateMpiJob, type MpiJob } from './mpi-job.js';
import { desiredConfigMap, desiredLauncher, desiredWorker, launcherEnv, setMpiCondition, sshKeyPair } from './mpi-plan.js';
import type { MpiJobStatus } from './mpi-job.js';

const cluster = { hostProcesses: false };
const local = { hostProcesses: true, runsAsRoot: true };

function job(spec: MpiJob['spec'] = {}): MpiJob {
  return mpiWithDefaults({
    apiVersion: 'kubeflow.org/v2beta1',
    kind: 'MPIJob',
    metadata: { name: 'pi', namespace: 'team', uid: 'u-1' },
    spec: {
      mpiReplicaSpecs: {
        Launcher: { template: { spec: { containers: [{ name: 'l', image: 'mpioperator/mpi-pi', command: ['mpirun', 'pi'] }] } } },
        Worker: { replicas: 2, template: { spec: { containers: [{ name: 'w', image: 'mpioperator/mpi-pi' }] } } },
      },
      ...spec,
    },
  });
}

describe('MPIJob planning', () => {
  test('defaults as SetDefaults_MPIJob writes them; a defaulted job is valid', () => {
    const j = job();
    assert.equal(j.spec.slotsPerWorker, 1);
    assert.equal(j.spec.runPolicy?.cleanPodPolicy, 'None');
    assert.equal(j.spec.sshAuthMountPath, '/root/.ssh');
    assert.equal(j.spec.mpiImplementation, 'OpenMPI');
    assert.equal(j.spec.launcherCreationPolicy, 'AtStartup');
    assert.deepEqual([j.spec.mpiReplicaSpecs?.Launcher?.replicas, j.spec.mpiReplicaSpecs?.Launcher?.restartPolicy], [1, 'OnFailure']);
    assert.equal(j.spec.mpiReplicaSpecs?.Worker?.restartPolicy, 'Never');
    assert.deepEqual(validateMpiJob(j), []);
  });

  test('hostfile: `host slots=N` for Open MPI, `host:N` for Intel and MPICH; the launcher first when it runs as a worker', () => {
    assert.equal(desiredConfigMap(job({ slotsPerWorker: 4 }), [], cluster).data?.hostfile, 'pi-worker-0.pi.team.svc slots=4\npi-worker-1.pi.team.svc slots=4\n');
    assert.equal(desiredConfigMap(job({ mpiImplementation: 'Intel' }), [], cluster).data?.hostfile, 'pi-worker-0.pi.team.svc:1\npi-worker-1.pi.team.svc:1\n');
    assert.equal(desiredConfigMap(job({ mpiImplementation: 'MPICH', runLauncherAsWorker: true }), [], cluster).data?.hostfile, 'pi-launcher.pi.team.svc:1\npi-worker-0.pi.team.svc:1\npi-worker-1.pi.team.svc:1\n');
    const running = [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pi-worker-1' }, spec: { containers: [] } }];
    assert.equal(desiredConfigMap(job(), running, cluster).data?.['discover_hosts.sh'], '#!/bin/sh\necho pi-worker-1.pi.team.svc\n');
    assert.equal(desiredConfigMap(job(), [], cluster).data?.['floe_rsh_agent.sh'], undefined);
    assert.match(desiredConfigMap(job(), [], local).data?.['floe_rsh_agent.sh'] ?? '', /^#!\/bin\/sh\n/);
  });

  test('launcher environment per implementation; the local runtime adds the rsh agent and loopback TCP', () => {
    const names = (env: { name: string; value?: string }[]): Record<string, string | undefined> => Object.fromEntries(env.map((e) => [e.name, e.value]));
    const ompi = names(launcherEnv(job({ slotsPerWorker: 2 }), cluster));
    assert.deepEqual(ompi, {
      K_MPI_JOB_ROLE: 'launcher',
      OMPI_MCA_orte_keep_fqdn_hostnames: 'true',
      OMPI_MCA_orte_default_hostfile: '/etc/mpi/hostfile',
      OMPI_MCA_plm_rsh_args: '-o ConnectionAttempts=10',
      OMPI_MCA_orte_set_default_slots: '2',
      NVIDIA_VISIBLE_DEVICES: undefined,
      NVIDIA_DRIVER_CAPABILITIES: undefined,
    });
    assert.deepEqual(Object.keys(names(launcherEnv(job({ mpiImplementation: 'Intel' }), cluster))), ['K_MPI_JOB_ROLE', 'I_MPI_HYDRA_HOST_FILE', 'I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS', 'I_MPI_PERHOST', 'NVIDIA_VISIBLE_DEVICES', 'NVIDIA_DRIVER_CAPABILITIES']);
    assert.deepEqual(Object.keys(names(launcherEnv(job({ mpiImplementation: 'MPICH', runLauncherAsWorker: true }), cluster))), ['K_MPI_JOB_ROLE', 'HYDRA_HOST_FILE', 'HYDRA_LAUNCH_EXTRA_ARGS']);
    const here = names(launcherEnv(job(), local));
    assert.equal(here.OMPI_MCA_plm_rsh_agent, '/etc/mpi/floe_rsh_agent.sh');
    assert.equal(here.OMPI_MCA_btl, 'self,tcp');
    assert.equal(here.OMPI_ALLOW_RUN_AS_ROOT, '1');
    assert.equal(names(launcherEnv(job({ mpiImplementation: 'MPICH' }), local)).HYDRA_LAUNCHER_EXEC, '/etc/mpi/floe_rsh_agent.sh');
  });

  test('launcher Job: run policy, suspend, labels, the config and SSH volumes', () => {
    const l = desiredLauncher(job({ runPolicy: { cleanPodPolicy: 'None', backoffLimit: 2, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 30, suspend: true } }), cluster);
    assert.equal(l.metadata.name, 'pi-launcher');
    assert.deepEqual([l.spec.backoffLimit, l.spec.activeDeadlineSeconds, l.spec.ttlSecondsAfterFinished, l.spec.suspend], [2, 60, 30, true]);
    assert.deepEqual(l.spec.template.metadata?.labels, { 'training.kubeflow.org/operator-name': 'mpi-operator', 'training.kubeflow.org/job-name': 'pi', 'training.kubeflow.org/job-role': 'launcher' });
    assert.equal(l.spec.template.spec.restartPolicy, 'OnFailure');
    assert.deepEqual(l.spec.template.spec.containers[0]?.volumeMounts, [{ name: 'mpi-job-config', mountPath: '/etc/mpi' }, { name: 'ssh-auth', mountPath: '/root/.ssh' }]);
    assert.deepEqual(l.spec.template.spec.volumes?.find((v) => v.name === 'ssh-auth')?.secret?.items?.map((i) => i.path), ['id_rsa', 'id_rsa.pub', 'authorized_keys']);
    assert.equal(l.spec.template.spec.volumes?.find((v) => v.name === 'ssh-auth')?.secret?.defaultMode, 0o600);
  });

  test('workers: sshd by default on a cluster; on the local runtime sshd is replaced by a process that waits, other commands kept', () => {
    const w = desiredWorker(job(), 1, cluster);
    assert.equal(w.metadata.name, 'pi-worker-1');
    assert.deepEqual([w.spec.hostname, w.spec.subdomain], ['pi-worker-1', 'pi']);
    assert.deepEqual(w.spec.containers[0]?.command, ['/usr/sbin/sshd', '-De']);
    assert.deepEqual(w.spec.containers[0]?.env, [{ name: 'K_MPI_JOB_ROLE', value: 'worker' }]);
    assert.equal(w.metadata.labels?.['training.kubeflow.org/replica-index'], '1');
    assert.equal(desiredWorker(job({ runLauncherAsWorker: true }), 1, cluster).metadata.labels?.['training.kubeflow.org/replica-index'], '2');
    assert.deepEqual(desiredWorker(job(), 0, local).spec.containers[0]?.command, ['sleep', 'infinity']);
    const own = job();
    const container = own.spec.mpiReplicaSpecs?.Worker?.template.spec.containers[0];
    if (container) container.command = ['python', 'serve.py'];
    assert.deepEqual(desiredWorker(own, 0, local).spec.containers[0]?.command, ['python', 'serve.py']);
  });

  test('SSH keys: an ECDSA P-521 pair, the private key in SEC1 PEM, the public key in authorized_keys form', () => {
    const { privateKey, publicKey } = sshKeyPair();
    assert.match(privateKey, /^-----BEGIN EC PRIVATE KEY-----\n/);
    const [type, blob] = publicKey.trim().split(' ');
    assert.equal(type, 'ecdsa-sha2-nistp521');
    const raw = Buffer.from(blob ?? '', 'base64');
    const point = raw.subarray(raw.length - 133);
    const jwk = createPublicKey(createPrivateKey(privateKey)).export({ format: 'jwk' });
    assert.deepEqual(point.subarray(1, 67), Buffer.from(jwk.x ?? '', 'base64url'));
  });

  test('conditions: same type, status and reason is no change; Succeeded turns Running to False; Running replaces Restarting', () => {
    const s: MpiJobStatus = {};
    assert.equal(setMpiCondition(s, 'Created', 'True', 'MPIJobCreated', 'a', 0), true);
    assert.equal(setMpiCondition(s, 'Created', 'True', 'MPIJobCreated', 'b', 1), false);
    setMpiCondition(s, 'Restarting', 'True', 'MPIJobRestarting', 'r', 2);
    setMpiCondition(s, 'Running', 'True', 'MPIJobRunning', 'run', 3);
    setMpiCondition(s, 'Succeeded', 'True', 'MPIJobSucceeded', 'done', 4);
    assert.deepEqual(s.conditions?.map((c) => [c.type, c.status]), [['Created', 'True'], ['Running', 'False'], ['Succeeded', 'True']]);
  });

  test('checks: launcher required and single, worker replicas >= 1, restart policies Never/OnFailure, managedBy values', () => {
    const bad = job({ runPolicy: { cleanPodPolicy: 'None', managedBy: 'me' }, mpiImplementation: 'LAM' });
    const specs = bad.spec.mpiReplicaSpecs ?? {};
    if (specs.Launcher) {
      specs.Launcher.replicas = 2;
      specs.Launcher.restartPolicy = 'Always';
    }
    const fields = validateMpiJob(bad).map((e) => e.field).sort();
    assert.deepEqual(fields, ['spec.mpiImplementation', 'spec.mpiReplicaSpecs[Launcher].replicas', 'spec.mpiReplicaSpecs[Launcher].restartPolicy', 'spec.runPolicy.managedBy']);
  });
});
