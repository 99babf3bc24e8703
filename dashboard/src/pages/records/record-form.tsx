/** Create or edit one record in a modal; the server's per-field messages appear beside each field. */
import type { CollectionModel, RecordModel } from 'pocketbase';
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { errorMessage, fieldErrors, pb } from '../../client.ts';
import { Button, ConfirmDialog, ErrorText, Field, Modal } from '../../ui.tsx';
import { FieldInput } from './field-input.tsx';
import { buildBody, editableFields, initialValues, type FormValue, type FormValues } from './values.ts';

export function RecordForm(props: {
  collection: CollectionModel;
  /** null: a new record. */
  record: RecordModel | null;
  onClose(): void;
  onSaved(record: RecordModel | null): void;
}) {
  const { collection, record } = props;
  // A view collection's rows are the view's query results: shown, never written.
  const readOnly = collection.type === 'view';
  const creating = record === null;
  const [values, setValues] = useState<FormValues>(() => initialValues(collection, record));
  const [id, setId] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState('');
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [fileToken, setFileToken] = useState('');

  const needsToken = collection.fields.some((f) => f.type === 'file' && f.protected);
  useEffect(() => {
    if (needsToken && record) pb.files.getToken().then(setFileToken, () => undefined);
  }, [needsToken, record?.id]);

  const set = (name: string, value: FormValue) => setValues((v) => ({ ...v, [name]: value }));

  const submit = async (e: Event) => {
    e.preventDefault();
    const built = buildBody(collection, values, creating, id);
    setErrors(built.errors);
    setFailure('');
    if (Object.keys(built.errors).length) {
      setFailure('Some fields need attention.');
      return;
    }
    setBusy(true);
    try {
      const saved = creating
        ? await pb.collection(collection.id).create(built.body)
        : await pb.collection(collection.id).update(record.id, built.body);
      props.onSaved(saved);
    } catch (err) {
      setErrors(fieldErrors(err));
      setFailure(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  // After a refusal, take the user to the first field the server named.
  const formId = `record-form-${collection.id}`;
  useEffect(() => {
    if (Object.keys(errors).length === 0) return;
    const invalid = document.getElementById(formId)?.querySelector<HTMLElement>('[aria-invalid="true"], .field-error');
    invalid?.scrollIntoView({ block: 'center' });
    if (invalid?.matches('input, select, textarea')) invalid.focus();
  }, [errors]);

  // Messages for keys no input shows (e.g. a server rule about the whole record).
  const shown = new Set(['id', 'passwordConfirm', ...editableFields(collection).map((f) => f.name)]);
  const stray = Object.entries(errors).filter(([key]) => !shown.has(key.split('.')[0]));

  return (
    <Modal
      wide
      title={creating ? `New ${collection.name} record` : `${readOnly ? 'View' : 'Edit'} ${collection.name} record`}
      onClose={props.onClose}
      footer={
        <>
          {!creating && !readOnly && (
            <Button kind="danger" onClick={() => setConfirmDelete(true)}>
              Delete
            </Button>
          )}
          <div class="pg-push-left pg-footer-error">
            <ErrorText error={failure} />
          </div>
          <Button kind="secondary" onClick={props.onClose}>
            {readOnly ? 'Close' : 'Cancel'}
          </Button>
          {!readOnly && (
            <Button type="submit" form={formId} busy={busy}>
              {creating ? 'Create' : 'Save changes'}
            </Button>
          )}
        </>
      }
    >
      <form id={formId} onSubmit={submit} noValidate class="pg-record-form">
        <fieldset class="pg-contents" disabled={readOnly}>
          <legend class="pg-sr-only">{collection.name} fields</legend>
          {creating ? (
            <Field label="id" hint="Leave empty for a random id" error={errors.id}>
              <input type="text" name="id" value={id} onInput={(e) => setId(e.currentTarget.value)} autoComplete="off" />
            </Field>
          ) : (
            <Field label="id">
              <input type="text" name="id" value={record.id} readOnly />
            </Field>
          )}
          {editableFields(collection).map((field) => (
            <Fragment key={field.id || field.name}>
              <FieldInput
                field={field}
                value={values[field.name]}
                error={errors[field.name]}
                record={record}
                fileToken={fileToken}
                onChange={(v) => set(field.name, v)}
              />
              {field.type === 'password' && collection.type === 'auth' && (
                <Field label="passwordConfirm" error={errors.passwordConfirm}>
                  <input
                    type="password"
                    name="passwordConfirm"
                    autoComplete="new-password"
                    value={values.passwordConfirm as string}
                    onInput={(e) => set('passwordConfirm', e.currentTarget.value)}
                  />
                </Field>
              )}
            </Fragment>
          ))}
        </fieldset>
        {stray.map(([key, message]) => (
          <p class="error-text" role="alert">
            {key}: {message}
          </p>
        ))}
      </form>
      {confirmDelete && record && (
        <ConfirmDialog
          title="Delete record"
          message={
            <>
              Delete record <code>{record.id}</code> from {collection.name}? This cannot be undone.
            </>
          }
          confirmLabel="Delete"
          danger
          onConfirm={async () => {
            await pb.collection(collection.id).delete(record.id);
            props.onSaved(null);
          }}
          onClose={() => setConfirmDelete(false)}
        />
      )}
    </Modal>
  );
}
