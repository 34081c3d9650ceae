"""Google's ML Metadata (the MLMD KFP uses) on its SQLite backend, for bench/metadata-lineage.ts.

Reads a plan (JSON, argv[1]) and writes results (JSON, argv[2]):
1. load: the same rows as Floe's store (Floe's SQLite file, ATTACHed) copied into MLMD's own tables with SQL, ids kept,
   after MLMD created its schema and the types through its API (its API writes a few hundred artifacts a second here);
2. check: lineage node sets of a sample of queries, compared by the caller with Floe's;
3. queries: get_lineage_subgraph and a client-side events walk, a deep page of GetArtifactsByType, GetArtifactsByContext,
   get_events_by_artifact_ids, each call timed, each set cut short after `budget_s` seconds;
4. api_write: `write_runs` runs of the benchmark's run shape written through put_execution into a fresh store.
"""
import json
import os
import sqlite3
import sys
import time

from ml_metadata import __version__ as mlmd_version
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc


def log(msg):
    print(f'[mlmd] {msg}', file=sys.stderr, flush=True)


def open_store(path):
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config)


def load(plan):
    """MLMD makes its schema and types; the rows come from Floe's file by INSERT … SELECT, same ids."""
    path = plan['mlmd_db']
    for suffix in ('', '-journal', '-wal', '-shm'):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    store = open_store(path)
    floe = sqlite3.connect(plan['floe_db'])
    type_map = []
    for type_id, kind, name in floe.execute('SELECT id, kind, name FROM types ORDER BY id'):
        put = [store.put_artifact_type, store.put_execution_type, store.put_context_type][kind]
        cls = [pb.ArtifactType, pb.ExecutionType, pb.ContextType][kind]
        type_map.append((type_id, put(cls(name=name))))
    floe.close()
    del store

    t0 = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute('PRAGMA journal_mode = WAL')
    db.execute('PRAGMA synchronous = NORMAL')
    db.execute('ATTACH DATABASE ? AS f', (plan['floe_db'],))
    db.execute('CREATE TEMP TABLE tmap (floe INTEGER PRIMARY KEY, mlmd INTEGER)')
    db.executemany('INSERT INTO tmap VALUES (?, ?)', type_map)
    db.execute('BEGIN')
    value_cols = "json_extract(j.value, '$.int_value'), json_extract(j.value, '$.double_value'), json_extract(j.value, '$.string_value'), json_extract(j.value, '$.bool_value')"
    statements = [
        'INSERT INTO Artifact (id, type_id, uri, state, name, external_id, create_time_since_epoch, last_update_time_since_epoch) '
        'SELECT a.id, m.mlmd, a.uri, a.state, a.name, a.external_id, a.create_time, a.update_time FROM f.artifacts a JOIN tmap m ON m.floe = a.type_id',
        'INSERT INTO Execution (id, type_id, last_known_state, name, external_id, create_time_since_epoch, last_update_time_since_epoch) '
        'SELECT e.id, m.mlmd, e.state, e.name, e.external_id, e.create_time, e.update_time FROM f.executions e JOIN tmap m ON m.floe = e.type_id',
        'INSERT INTO Context (id, type_id, name, external_id, create_time_since_epoch, last_update_time_since_epoch) '
        'SELECT c.id, m.mlmd, c.name, c.external_id, c.create_time, c.update_time FROM f.contexts c JOIN tmap m ON m.floe = c.type_id',
        'INSERT INTO Event (id, artifact_id, execution_id, type, milliseconds_since_epoch) SELECT id, artifact_id, execution_id, type, time FROM f.events',
        "INSERT INTO EventPath (event_id, is_index_step, step_index, step_key) SELECT e.id, json_extract(j.value, '$.index') IS NOT NULL, "
        "json_extract(j.value, '$.index'), json_extract(j.value, '$.key') FROM f.events e, json_each(e.path, '$.steps') j WHERE e.path IS NOT NULL",
        'INSERT INTO Attribution (context_id, artifact_id) SELECT context_id, artifact_id FROM f.attributions',
        'INSERT INTO Association (context_id, execution_id) SELECT context_id, execution_id FROM f.associations',
        'INSERT INTO ParentContext (context_id, parent_context_id) SELECT child_id, parent_id FROM f.parent_contexts',
    ]
    for table, prefix in (('artifacts', 'Artifact'), ('executions', 'Execution'), ('contexts', 'Context')):
        for column, custom in (('properties', 0), ('custom_properties', 1)):
            statements.append(
                f'INSERT INTO {prefix}Property ({prefix.lower()}_id, name, is_custom_property, int_value, double_value, string_value, bool_value) '
                f'SELECT n.id, j.key, {custom}, {value_cols} FROM f.{table} n, json_each(n.{column}) j WHERE n.{column} IS NOT NULL')
    for sql in statements:
        db.execute(sql)
    db.execute('COMMIT')
    db.execute('DETACH DATABASE f')
    db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    db.execute('PRAGMA journal_mode = DELETE')
    counts = {t: db.execute(f'SELECT count(*) FROM {t}').fetchone()[0] for t in ('Artifact', 'Execution', 'Context', 'Event', 'Attribution', 'Association')}
    db.close()
    return {'seconds': time.perf_counter() - t0, 'counts': counts, 'db_bytes': os.path.getsize(path)}


DIRECTIONS = {'UPSTREAM': pb.LineageSubgraphQueryOptions.UPSTREAM, 'DOWNSTREAM': pb.LineageSubgraphQueryOptions.DOWNSTREAM, 'BIDIRECTIONAL': pb.LineageSubgraphQueryOptions.BIDIRECTIONAL}


def lineage(store, start, direction, hops, start_kind='artifact'):
    options = pb.LineageSubgraphQueryOptions(max_num_hops=hops, direction=DIRECTIONS[direction])
    target = options.starting_artifacts if start_kind == 'artifact' else options.starting_executions
    target.filter_query = f'id = {start}'
    return store.get_lineage_subgraph(options)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def page_by_type(store, type_name, size, token=None):
    request = svc.GetArtifactsByTypeRequest(type_name=type_name)
    request.options.max_result_size = size
    request.options.order_by_field.field = pb.ListOperationOptions.OrderByField.ID
    request.options.order_by_field.is_asc = True
    if token:
        request.options.next_page_token = token
    response = svc.GetArtifactsByTypeResponse()
    store._call('GetArtifactsByType', request, response)  # the gRPC method, for its page tokens
    return response


def page_by_context(store, context_id, size):
    request = svc.GetArtifactsByContextRequest(context_id=context_id)
    request.options.max_result_size = size
    response = svc.GetArtifactsByContextResponse()
    store._call('GetArtifactsByContext', request, response)
    return response


INPUT_TYPES = {pb.Event.INPUT, pb.Event.DECLARED_INPUT, pb.Event.INTERNAL_INPUT}
OUTPUT_TYPES = {pb.Event.OUTPUT, pb.Event.DECLARED_OUTPUT, pb.Event.INTERNAL_OUTPUT, pb.Event.PENDING_OUTPUT}


def events_walk(store, start, direction, hops):
    """What a client without GetLineageSubgraph does (KFP's UI walks events): one GetEventsBy…IDs call per hop for the
    whole frontier, then the nodes by id. Upstream of an artifact is its producer (an OUTPUT-type event), upstream of
    an execution its inputs; BIDIRECTIONAL follows every event."""
    seen_a, seen_e = {start}, set()
    frontier, kind = [start], 'artifact'
    for _ in range(hops):
        if not frontier:
            break
        events = store.get_events_by_artifact_ids(frontier) if kind == 'artifact' else store.get_events_by_execution_ids(frontier)
        nxt = []
        for ev in events:
            if direction != 'BIDIRECTIONAL':
                wanted = OUTPUT_TYPES if (direction == 'UPSTREAM') == (kind == 'artifact') else INPUT_TYPES
                if ev.type not in wanted:
                    continue
            other, seen = (ev.execution_id, seen_e) if kind == 'artifact' else (ev.artifact_id, seen_a)
            if other not in seen:
                seen.add(other)
                nxt.append(other)
        frontier, kind = nxt, 'execution' if kind == 'artifact' else 'artifact'
    artifacts = store.get_artifacts_by_id(sorted(seen_a))
    executions = store.get_executions_by_id(sorted(seen_e)) if seen_e else []
    return artifacts, executions


def run_set(items, fn, budget_s):
    """Times fn(item) for each item, stopping early (after at least one) once budget_s seconds have gone."""
    ms, extra = [], []
    end = time.perf_counter() + budget_s
    for item in items:
        if ms and time.perf_counter() > end:
            break
        t, out = timed(lambda: fn(item))
        ms.append(t)
        extra.append(out)
    return ms, extra


def queries(plan):
    store = open_store(plan['mlmd_db'])
    budget = plan['budget_s']
    out = {'check': [], 'check_walk': [], 'lineage': {}, 'events_walk': {}, 'deep_page': None}
    for c in plan['check']:
        g = lineage(store, c['start'], c['direction'], c['hops'])
        out['check'].append({'artifacts': sorted(a.id for a in g.artifacts), 'executions': sorted(e.id for e in g.executions), 'events': len(g.events)})
        arts, execs = events_walk(store, c['start'], c['direction'], c['hops'])
        out['check_walk'].append({'artifacts': sorted(a.id for a in arts), 'executions': sorted(e.id for e in execs)})
    for q in plan['lineage']:
        for start in plan['warmup']:
            lineage(store, start, q['direction'], q['hops'])
            events_walk(store, start, q['direction'], q['hops'])
        ms, graphs = run_set(q['starts'], lambda start: lineage(store, start, q['direction'], q['hops']), budget)
        out['lineage'][q['name']] = {'ms': ms, 'nodes': [len(g.artifacts) + len(g.executions) for g in graphs]}
        ms, walks = run_set(q['starts'], lambda start: events_walk(store, start, q['direction'], q['hops']), budget)
        out['events_walk'][q['name']] = {'ms': ms, 'nodes': [len(a) + len(e) for a, e in walks]}
        log(f"{q['name']}: get_lineage_subgraph median {sorted(out['lineage'][q['name']]['ms'])[len(out['lineage'][q['name']]['ms']) // 2]:.2f} ms "
            f"({len(out['lineage'][q['name']]['ms'])} queries), events walk {sorted(ms)[len(ms) // 2]:.2f} ms ({len(ms)})")

    # Pages by next_page_token from the start, as far as the time allows; then pages from random depths reached.
    deep = plan['deep_page']
    t0 = time.perf_counter()
    tokens, token, seen, done = [], None, 0, False
    while time.perf_counter() - t0 < 2 * budget:
        response = page_by_type(store, deep['type'], 100, token)
        seen += len(response.artifacts)
        if not response.next_page_token:
            done = True
            break
        token = response.next_page_token
        tokens.append(token)
    walk_s = time.perf_counter() - t0
    log(f'walked {seen} {deep["type"]} artifacts in {walk_s:.1f} s ({len(tokens) + 1} pages of 100{"" if done else ", stopped by the time limit"})')
    picks = [tokens[int(f * len(tokens))] for f in deep['fractions']] if tokens else []
    ms, _ = run_set(picks, lambda tok: page_by_type(store, deep['type'], 100, tok), budget)
    out['deep_page'] = {'ms': ms, 'walk_seconds': walk_s, 'pages_walked': len(tokens) + 1, 'artifacts_walked': seen, 'walk_complete': done}

    for i in plan['warmup']:
        page_by_context(store, plan['context_run'][i % len(plan['context_run'])], 100)
        store.get_events_by_artifact_ids([i])
    for key in ('context_run', 'context_pipeline'):
        out[key] = run_set(plan[key], lambda cid: page_by_context(store, cid, 100), budget)[0]
    out['events'] = run_set(plan['events'], lambda aid: store.get_events_by_artifact_ids([aid]), budget)[0]
    return out


def api_write(plan):
    """The run shape of bench/metadata-lineage.ts written through put_execution, one call per execution, as KFP does."""
    path = plan['mlmd_db'] + '.api'
    for suffix in ('', '-journal', '-wal', '-shm'):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    store = open_store(path)
    shape = plan['shape']
    t = {}
    for name in ('system.Dataset', 'system.Model', 'system.Metrics', 'system.ClassificationMetrics'):
        t[name] = store.put_artifact_type(pb.ArtifactType(name=name))
    for name in ('system.DAGExecution', 'system.ImporterExecution', 'system.ContainerExecution'):
        t[name] = store.put_execution_type(pb.ExecutionType(name=name))
    for name in ('system.Pipeline', 'system.PipelineRun'):
        t[name] = store.put_context_type(pb.ContextType(name=name))
    pipelines = [store.put_contexts([pb.Context(type_id=t['system.Pipeline'], name=f'pipeline-{p}')])[0] for p in range(shape['pipelines'])]
    snapshot, champion = {}, {}
    artifacts = 0

    def execution(type_name, task):
        e = pb.Execution(type_id=t[type_name], last_known_state=pb.Execution.COMPLETE)
        e.custom_properties['task_name'].string_value = task
        e.custom_properties['display_name'].string_value = task
        return e

    def artifact(type_name, uri, key):
        a = pb.Artifact(type_id=t[type_name], uri=uri, state=pb.Artifact.LIVE)
        a.custom_properties['display_name'].string_value = key
        return a

    def put(e, outputs, inputs, ctx, reused_outputs=()):
        """PutExecution as KFP's Go client sends it: inputs as events naming an artifact id, outputs with their artifact."""
        request = svc.PutExecutionRequest(execution=e, contexts=ctx)
        for kind, pairs in ((pb.Event.INPUT, inputs), (pb.Event.OUTPUT, reused_outputs)):
            for key, artifact_id in pairs:
                pair = request.artifact_event_pairs.add()
                pair.event.type = kind
                pair.event.artifact_id = artifact_id
                pair.event.path.steps.add().key = key
        for key, a in outputs:
            pair = request.artifact_event_pairs.add()
            pair.artifact.CopyFrom(a)
            pair.event.type = pb.Event.OUTPUT
            pair.event.path.steps.add().key = key
        response = svc.PutExecutionResponse()
        store._call('PutExecution', request, response)
        return list(response.artifact_ids)

    t0 = time.perf_counter()
    for r in range(plan['write_runs']):
        p = r % shape['pipelines']
        k = r // shape['pipelines']
        run = pb.Context(type_id=t['system.PipelineRun'], name=f'run-{r}')
        run.custom_properties['namespace'].string_value = 'bench'
        [run.id] = store.put_contexts([run])
        store.put_parent_contexts([pb.ParentContext(child_id=run.id, parent_id=pipelines[p])])
        ctx = [pb.Context(id=pipelines[p], type_id=t['system.Pipeline'], name=f'pipeline-{p}'), run]
        put(execution('system.DAGExecution', 'root'), [], [], ctx)
        if k % shape['snapshot_runs'] == 0:
            snapshot[p] = put(execution('system.ImporterExecution', 'importer'), [('artifact', artifact('system.Dataset', f'gs://data/p{p}/snapshot-{k}', 'artifact'))], [], ctx)[0]
            artifacts += 1
        else:
            # A reimport=False importer: an OUTPUT event to the artifact it found by uri.
            put(execution('system.ImporterExecution', 'importer'), [], [], ctx, [('artifact', snapshot[p])])
        train, test = put(execution('system.ContainerExecution', 'preprocess'), [('train', artifact('system.Dataset', f'gs://runs/{r}/train', 'train')), ('test', artifact('system.Dataset', f'gs://runs/{r}/test', 'test'))], [('dataset', snapshot[p])], ctx)[1:]
        models, evals = [], []
        for i in range(shape['trainers']):
            models.append(put(execution('system.ContainerExecution', f'train-{i}'), [('model', artifact('system.Model', f'gs://runs/{r}/model-{i}', 'model')), ('metrics', artifact('system.Metrics', f'gs://runs/{r}/metrics-{i}', 'metrics'))], [('train', train)], ctx)[1])
        for i in range(shape['trainers']):
            evals.append(put(execution('system.ContainerExecution', f'evaluate-{i}'), [('metrics', artifact('system.ClassificationMetrics', f'gs://runs/{r}/eval-{i}', 'metrics'))], [('model', models[i]), ('test', test)], ctx)[2])
        inputs = [(f'metrics-{i}', evals[i]) for i in range(shape['trainers'])] + [(f'model-{i}', models[i]) for i in range(shape['trainers'])]
        if p in champion:
            inputs.append(('champion', champion[p]))
        champion[p] = put(execution('system.ContainerExecution', 'select'), [('best', artifact('system.Model', f'gs://runs/{r}/best', 'best'))], inputs, ctx)[-1]
        artifacts += 2 + 3 * shape['trainers'] + 1
    seconds = time.perf_counter() - t0
    del store
    for suffix in ('', '-journal', '-wal', '-shm'):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return {'runs': plan['write_runs'], 'artifacts': artifacts, 'seconds': seconds}


def main():
    with open(sys.argv[1], encoding='utf8') as f:
        plan = json.load(f)
    result = {'versions': {'ml_metadata': mlmd_version, 'python': sys.version.split()[0]}}
    log('copying the rows into MLMD')
    result['load'] = load(plan)
    log(f"loaded in {result['load']['seconds']:.1f} s: {result['load']['counts']}")
    result.update(queries(plan))
    if plan['write_runs'] > 0:
        log(f"writing {plan['write_runs']} runs through put_execution")
        result['api_write'] = api_write(plan)
    with open(sys.argv[2], 'w', encoding='utf8') as f:
        json.dump(result, f)


if __name__ == '__main__':
    main()
