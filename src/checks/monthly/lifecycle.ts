import { z } from 'zod';
import { defineCheck, type FindingDraft } from '../types.js';
import { awsCall } from '../../sources/aws.js';
import { capitalize, counted } from '../../plural.js';

interface Lifecycle {
  instance: string;
  engine: string;
  engineVersion: string;
  major: string;
  /** The instance's choice at the end of standard support: open-source-rds-extended-support(-disabled). */
  lifecycleSupport?: string;
  /** RDS's own calendar for the major version (DescribeDBMajorEngineVersions). */
  standardEnds?: Date;
  extendedEnds?: Date;
  ca?: string;
  caValidTill?: Date;
  /** The server certificate RDS issued under the CA (CertificateDetails). */
  serverCertificateValidTill?: Date;
}

const DAY_MS = 86_400_000;

/** Days from now to `when`, rounded down; negative once it has passed. */
function daysUntil(when: Date, now: Date): number {
  return Math.floor((when.getTime() - now.getTime()) / DAY_MS);
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export default defineCheck({
  meta: {
    id: 'monthly.lifecycle',
    title: "Engine support and CA certificate lifetimes, from RDS's own data",
    area: 'configuration',
    cadence: 'monthly',
    sources: ['rds'],
    sees: 'present',
    runbook: 'Monthly Security Audit §1: Full Configuration Review',
    remediation:
      'Plan the major version upgrade before standard support ends (aws rds modify-db-instance --engine-version … --allow-major-version-upgrade, tested on a snapshot restore first); rotate the instance to a current CA (aws rds modify-db-instance --ca-certificate-identifier rds-ca-rsa2048-g1) and give clients its bundle before the old one expires.',
  },
  options: z.object({
    /** Warn this many days before the end of standard support. */
    engineWarnDays: z.number().int().min(1).max(1095).default(180),
    /** Warn this many days before the CA or the server certificate expires. */
    certificateWarnDays: z.number().int().min(1).max(730).default(90),
  }),
  async collect(ctx): Promise<Lifecycle> {
    const instance = await ctx.rdsInstance();
    const engine = instance.Engine ?? 'postgres';
    const engineVersion = instance.EngineVersion ?? '?';
    const major = engineVersion.split('.')[0]!;
    const { sdk, client } = await ctx.aws().rds();
    const versions = await awsCall('rds:DescribeDBMajorEngineVersions', () => client.send(new sdk.DescribeDBMajorEngineVersionsCommand({ Engine: engine, MajorEngineVersion: major })));
    const lifecycles = versions.DBMajorEngineVersions?.find((v) => v.MajorEngineVersion === major)?.SupportedEngineLifecycles ?? [];
    const endOf = (name: string) => lifecycles.find((l) => l.LifecycleSupportName === name)?.LifecycleSupportEndDate;
    const ca = instance.CACertificateIdentifier;
    const certificates = ca ? await awsCall('rds:DescribeCertificates', () => client.send(new sdk.DescribeCertificatesCommand({ CertificateIdentifier: ca }))) : undefined;
    return {
      instance: instance.DBInstanceIdentifier ?? '?',
      engine,
      engineVersion,
      major,
      lifecycleSupport: instance.EngineLifecycleSupport,
      standardEnds: endOf('open-source-rds-standard-support'),
      extendedEnds: endOf('open-source-rds-extended-support'),
      ca,
      caValidTill: certificates?.Certificates?.find((c) => c.CertificateIdentifier === ca)?.ValidTill,
      serverCertificateValidTill: instance.CertificateDetails?.ValidTill,
    };
  },
  evaluate(data, options, { now }): FindingDraft[] {
    return [engineFinding(data, options.engineWarnDays, now), certificateFinding(data, options.certificateWarnDays, now)];
  },
});

function engineFinding(data: Lifecycle, warnDays: number, now: Date): FindingDraft {
  const resource = `${data.instance} ${data.engine} ${data.major}`;
  const evidence = [{ engineVersion: data.engineVersion, standardSupportEnds: data.standardEnds ? day(data.standardEnds) : null, extendedSupportEnds: data.extendedEnds ? day(data.extendedEnds) : null, atEndOfStandard: data.lifecycleSupport ?? null }];
  if (!data.standardEnds) {
    return { status: 'monitor', resource, title: `RDS has no support calendar for ${data.engine} ${data.major}`, summary: 'DescribeDBMajorEngineVersions did not list this major version, so its end of support is unknown: look it up in the RDS release calendar.', evidence };
  }
  const standard = daysUntil(data.standardEnds, now);
  const onExtended = data.lifecycleSupport !== 'open-source-rds-extended-support-disabled';
  if (standard < 0) {
    const extended = data.extendedEnds ? daysUntil(data.extendedEnds, now) : undefined;
    const ended = extended !== undefined && extended < 0;
    return {
      status: 'investigate',
      resource,
      title: ended ? `${data.engine} ${data.major} on ${data.instance} is past the end of all RDS support (${day(data.extendedEnds!)})` : `${data.engine} ${data.major} on ${data.instance} is past standard support (ended ${day(data.standardEnds)})`,
      summary: ended
        ? 'RDS no longer supports this major version at all: no security fixes, and RDS will upgrade it on its own schedule.'
        : `${onExtended ? `It runs on paid RDS Extended Support until ${data.extendedEnds ? day(data.extendedEnds) : 'an unknown date'}` : 'Extended Support is disabled, so RDS upgrades it on its own schedule'}; the engine's community end of life has passed, so fixes come only through Extended Support. Upgrade the major version.`,
      value: data.engineVersion,
      expected: 'a major version in standard support',
      evidence,
    };
  }
  if (standard <= warnDays) {
    return {
      status: 'monitor',
      resource,
      title: `Standard support for ${data.engine} ${data.major} on ${data.instance} ends in ${counted(standard, 'day')} (${day(data.standardEnds)})`,
      summary: `After that the instance ${onExtended ? 'moves to paid RDS Extended Support' : 'is upgraded by RDS on its own schedule (Extended Support is disabled)'}; plan and test the major version upgrade now.`,
      value: standard,
      expected: `more than ${warnDays} days of standard support left`,
      evidence,
    };
  }
  return { status: 'ok', resource, title: `${data.engine} ${data.major} is in standard support until ${day(data.standardEnds)}`, summary: `${counted(standard, 'day')} left.`, value: standard, evidence };
}

function certificateFinding(data: Lifecycle, warnDays: number, now: Date): FindingDraft {
  const resource = `${data.instance} certificate`;
  if (!data.ca) return { status: 'monitor', resource, title: `${data.instance} names no CA certificate`, summary: 'DescribeDBInstances gave no CACertificateIdentifier: clients cannot know which bundle verifies the server.' };
  const evidence = [{ ca: data.ca, caValidTill: data.caValidTill ? day(data.caValidTill) : null, serverCertificateValidTill: data.serverCertificateValidTill ? day(data.serverCertificateValidTill) : null }];
  // The sooner of the two to expire speaks for both.
  const known = [
    { what: 'the CA', validTill: data.caValidTill },
    { what: 'the server certificate', validTill: data.serverCertificateValidTill },
  ].filter((d): d is { what: string; validTill: Date } => d.validTill !== undefined);
  if (known.length === 0) return { status: 'monitor', resource, title: `The validity of ${data.ca} is unknown`, summary: 'DescribeCertificates did not list the CA and the instance gave no CertificateDetails.', evidence };
  const { what, validTill } = known.reduce((first, d) => (d.validTill < first.validTill ? d : first));
  const left = daysUntil(validTill, now);
  if (left < 0) {
    return { status: 'investigate', resource, title: `${capitalize(what)} of ${data.instance} (${data.ca}) expired on ${day(validTill)}`, summary: 'Clients that verify the server (sslmode=verify-full) cannot connect, and those that do not verify it are open to an impostor. Rotate to a current CA.', value: day(validTill), expected: 'a valid CA and server certificate', evidence };
  }
  if (left <= warnDays) {
    return { status: 'monitor', resource, title: `${capitalize(what)} of ${data.instance} (${data.ca}) expires in ${counted(left, 'day')} (${day(validTill)})`, summary: 'Rotate before it expires, and give clients the new bundle first.', value: left, expected: `more than ${warnDays} days of validity left`, evidence };
  }
  return { status: 'ok', resource, title: `${data.ca} and the server certificate are valid until ${day(validTill)}`, summary: `${counted(left, 'day')} left.`, value: left, evidence };
}

